"""Published results: a closed consultation's findings and key figures, for those who took part
and, when the organiser chooses, for the public."""
