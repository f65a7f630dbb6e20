"""Mission follow-up: the committee tracks each voted objective through indicators and proofs."""
