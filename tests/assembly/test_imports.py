"""The roll from real files: matched by identifier, proxies kept, whole roll or nothing."""

from spreadsheets import import_file, ods, preview
from sqlalchemy import func, select

from consult.assembly import services
from consult.assembly.imports import ROLL
from consult.assembly.models import Delegate, Proxy
from consult.extensions import db

HEADER = ["Numéro de délégué", "Nom et prénom", "Courriel", "Section de vote", "Voix"]


def roll(*rows):
    """An ODS roll, as LibreOffice writes one."""
    return ods([HEADER, *[list(row) for row in rows]])


def delegates(assembly):
    """(identifier, name, weight) of the roll."""
    return sorted(
        (d.identifier, d.name, d.weight)
        for d in db.session.scalars(select(Delegate).where(Delegate.assembly_id == assembly.id))
    )


def test_french_columns_are_recognised_and_the_roll_is_matched_by_identifier(
    make_assembly, officer, now
):
    assembly = make_assembly(delegates=3)
    d1, d2, d3 = sorted(assembly.delegates, key=lambda d: d.identifier)
    services.give_proxy(officer, assembly, d1, d2, now=now)
    db.session.commit()
    raw = roll(
        ("D001", "Délégué 1", "delegate1@example.org", "Section 1", 1),
        ("D002", "Délégué Deux", "delegate2@example.org", "Section 2", 3),
        ("D009", "Nouvelle", "nouvelle@example.org", "Ouest", 1),
    )
    batch = preview(officer, ROLL, assembly, raw, now=now, filename="roll.ods")
    assert batch.file_format == "ods"
    assert batch.mapping == ["identifier", "name", "email", "section", "weight"]
    plan = batch.plan
    assert (plan["create"], plan["update"], plan["unchanged"], plan["remove"]) == (1, 1, 1, 1)
    assert plan["removals"] == ["D003"]
    services_batch = import_file(officer, ROLL, assembly, raw, now=now)
    assert services_batch.result["delegates"] == 3
    assert delegates(assembly) == [
        ("D001", "Délégué 1", 1),
        ("D002", "Délégué Deux", 3),
        ("D009", "Nouvelle", 1),
    ]
    # The proxy between two delegates who stay on the roll is kept.
    assert db.session.scalar(select(func.count()).select_from(Proxy)) == 1
    # The same file again changes nothing.
    again = preview(officer, ROLL, assembly, raw, now=now)
    assert (again.plan["create"], again.plan["update"], again.plan["remove"]) == (0, 0, 0)
    assert again.plan["unchanged"] == 3


def test_a_refused_line_blocks_the_whole_roll(make_assembly, officer, now):
    from consult.core.errors import RuleError
    from consult.core.imports import services as imports

    assembly = make_assembly(delegates=2)
    raw = roll(
        ("D001", "Délégué 1", "delegate1@example.org", "S", 1),
        ("D001", "Doublon", "autre@example.org", "S", 1),
        ("D005", "Cinq", "cinq@example.org", "S", "deux"),
    )
    batch = preview(officer, ROLL, assembly, raw, now=now)
    assert batch.plan["refused"] == 2
    assert [line for line, *_ in batch.plan["refusals"]] == [3, 4]
    try:
        imports.confirm(officer, batch, now=now)
    except RuleError as error:
        assert "Corrigez" in str(error.message)
    else:
        raise AssertionError("a roll with refused lines was confirmed")
    assert [d[0] for d in delegates(assembly)] == ["D001", "D002"]


def test_the_roll_cannot_change_once_voting_has_opened(make_assembly, officer, now):
    import pytest

    from consult.core.errors import RuleError

    assembly = make_assembly(delegates=2)
    services.open_resolution(officer, assembly.resolutions[0], now=now)
    db.session.commit()
    with pytest.raises(RuleError, match="figés"):
        preview(officer, ROLL, assembly, roll(("D1", "A", "a@example.org", "S", 1)), now=now)
