"""Plan.accepted: the lines an area's rule reads, refused or kept the same way (no app)."""

from dataclasses import dataclass

from consult.core.imports.kinds import Plan


@dataclass(frozen=True)
class Row:
    """A line as an area's rule reads it."""

    identifier: str
    email: str


def read(line, values):
    """A row, one reason, or every reason: the three answers the areas' rules give."""
    if not values["email"]:
        return f"line {line}: no e-mail"
    if not values["identifier"]:
        return ["no identifier", "and nothing else either"] if values["email"] == "?" else ["none"]
    return Row(values["identifier"], values["email"])


def lines(*cells):
    """(identifier, e-mail) pairs as the records of a file, from its line 2 (under the header)."""
    return [(n, {"identifier": i, "email": e}) for n, (i, e) in enumerate(cells, 2)]


def repeated(what):
    """The words for a value an earlier line holds."""
    return lambda value, first: f"{what} {value} already on line {first}"


def test_rows_are_kept_in_order_and_every_reason_of_a_refused_line_is_kept():
    plan = Plan()
    records = lines(("A", "a@x"), ("", "?"), ("B", ""), ("C", "c@x"))
    kept = list(plan.accepted(records, read, Row))
    assert kept == [(2, Row("A", "a@x")), (5, Row("C", "c@x"))]
    assert plan.refused == [
        (3, "no identifier"),
        (3, "and nothing else either"),
        (4, "line 4: no e-mail"),
    ]


def test_a_line_repeating_a_unique_value_is_refused_with_the_line_it_first_came_on():
    plan = Plan()
    records = lines(
        ("A", "a@x"),
        ("A", "b@x"),  # line 3: the identifier of line 2
        ("B", "b@x"),  # line 3 was refused, so b@x is still free
        ("A", "b@x"),  # both repeated: the first one named is said
        ("C", "b@x"),
    )
    kept = plan.accepted(
        records, read, Row, identifier=repeated("identifier"), email=repeated("e-mail")
    )
    assert [line for line, _row in kept] == [2, 4]
    assert dict(plan.refused) == {
        3: "identifier A already on line 2",
        5: "identifier A already on line 2",
        6: "e-mail b@x already on line 4",
    }
    assert len(plan.refused) == 3


def test_nothing_is_unique_unless_named():
    plan = Plan()
    assert len(list(plan.accepted(lines(("A", "a@x"), ("A", "a@x")), read, Row))) == 2
    assert plan.refused == []
