"""One integer parser for query arguments, form fields and URL parts: no OverflowError."""

import pytest

from consult.core.params import DB_INT_MAX, db_int, int_or_none

HUGE = "9" * 40


@pytest.mark.parametrize("value", [HUGE, str(DB_INT_MAX + 1), "-" + HUGE, "1e3", "²", "0x10", ""])
def test_db_int_refuses_what_no_column_holds(value):
    with pytest.raises(ValueError):
        db_int(value)
    assert int_or_none(value) is None


def test_db_int_reads_plain_numbers():
    assert db_int(" 42 ") == 42 and db_int("-3") == -3 and db_int(str(DB_INT_MAX)) == DB_INT_MAX


@pytest.mark.parametrize(
    "path",
    [
        f"/consultations/{HUGE}",
        f"/moderation/items/{HUGE}",
        f"/analysis/consultations/{HUGE}",
        f"/assemblies/{HUGE}",
        f"/panels/organise/{HUGE}",
        f"/admin/people/{HUGE}",
    ],
)
def test_a_huge_path_id_is_not_found(client, login, make_user, path):
    login(client, make_user(roles=("administrator",)))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        f"/moderation/?consultation={HUGE}",
        f"/moderation/?question={HUGE}",
        f"/moderation/audit?contribution={HUGE}",
        f"/moderation/audit?actor={HUGE}",
        f"/moderation/?min_flags={HUGE}",
        f"/admin/people?page={HUGE}",
    ],
)
def test_a_huge_query_argument_is_no_500(client, login, make_user, query):
    login(client, make_user(roles=("administrator",)))
    assert client.get(query).status_code < 500


def test_no_area_parses_integers_its_own_way():
    """`type=int`, `coerce=int` and WTForms' own IntegerField would let 40 digits through."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "consult"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "cli.py" or path.relative_to(root).as_posix() == "core/forms.py":
            continue  # click parses arguments; core/forms.py defines the bounded field
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\btype=int\b", r"\bcoerce=int\b", r"\bwtforms\.IntegerField\b"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(root)}: {pattern}")
        # WTForms' own field imported under any layout (consult.core.forms' is the bounded one)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "wtforms":
                if any(alias.name == "IntegerField" for alias in node.names):
                    offenders.append(f"{path.relative_to(root)}: from {node.module} IntegerField")
    assert offenders == []
