"""Pure rules of workshops: phases, the merge rule, differences, anchoring after a change."""

import pytest

from consult.core.errors import RuleError
from consult.workshops import rules


def test_phases_move_one_step_and_comment_can_go_back():
    assert rules.next_phase("draft", "write") == "write"
    assert rules.next_phase("write", "comment") == "comment"
    assert rules.next_phase("comment", "write") == "write"
    assert rules.next_phase("comment", "finalise") == "finalise"
    assert rules.next_phase("finalise", "published") == "published"
    for current, target in [("draft", "comment"), ("write", "draft"), ("finalise", "comment")]:
        with pytest.raises(RuleError):
            rules.next_phase(current, target)
    with pytest.raises(RuleError):
        rules.next_phase("published", "finalise")
    with pytest.raises(RuleError):
        rules.next_phase("write", "party")


def test_who_may_write_and_comment_by_phase():
    assert [p for p in rules.PHASES if rules.edit_refusal(p) is None] == ["write", "finalise"]
    assert [p for p in rules.PHASES if rules.comment_refusal(p) is None] == ["comment"]


def test_merge_rule_refuses_a_stale_base():
    rules.check_base(3, 3)
    with pytest.raises(rules.Conflict) as clash:
        rules.check_base(2, 3)
    assert clash.value.current_version == 3
    with pytest.raises(rules.Conflict):
        rules.check_base(None, 0)


def test_story_text_keeps_the_allow_list():
    html = rules.clean_story("Premier.\n\nSecond <script>x</script>")
    assert html == "<p>Premier.</p><p>Second x</p>"
    assert rules.clean_story("Un <em>récit</em>\nsuite") == "<p>Un <em>récit</em><br>suite</p>"
    assert "<script" not in rules.clean_story(
        '<p onclick="x">Un <em>récit</em></p><script>x</script>'
    )
    with pytest.raises(RuleError):
        rules.clean_story("<p> </p>")


def test_paragraphs_are_blocks():
    html = "<p>Un.</p><ul><li>a</li><li>b</li></ul><p>Deux.</p>"
    assert rules.paragraph_texts(html) == ["Un.", "a\nb", "Deux."]


OLD = [
    "En 2040, Lucie ouvre sa porte au médecin du quartier.",
    "La mutuelle a payé la rénovation de la maison de santé.",
    "Le soir, les voisins partagent un repas.",
]


def test_anchor_follows_its_paragraph_when_others_move_or_change():
    new = [
        "Un nouveau début.",
        OLD[0],
        "La mutuelle a financé la rénovation de la maison de santé.",
        OLD[2],
    ]
    assert rules.reanchor(OLD[0], 0, new) == 1
    assert rules.reanchor(OLD[1], 1, new) == 2  # reworded, still recognisable
    assert rules.reanchor(OLD[2], 2, new) == 3
    assert rules.reanchor(OLD[1], 1, ["Tout autre chose ici.", "Rien à voir."]) is None


def test_same_text_twice_keeps_the_nearest():
    assert rules.reanchor("Oui.", 3, ["Oui.", "Non.", "Peut-être.", "Oui."]) == 3


def test_readable_difference_word_by_word():
    new = [OLD[0], "La mutuelle a financé la rénovation de la maison de santé.", "Un ajout."]
    blocks = rules.diff(OLD, new)
    kinds = [b.kind for b in blocks]
    assert kinds == ["equal", "change", "change"] or kinds[0] == "equal"
    changed = blocks[1]
    assert ("delete", "payé ") in [(p.kind, p.text) for p in changed.pieces]
    assert ("insert", "financé ") in [(p.kind, p.text) for p in changed.pieces]
    assert rules.diff([], ["Nouveau."]) == [
        rules.DiffBlock("insert", (rules.Piece("insert", "Nouveau."),))
    ]
    assert rules.diff(OLD, OLD) == [
        rules.DiffBlock("equal", (rules.Piece("equal", t),)) for t in OLD
    ]


def test_editor_shows_plain_paragraphs_unless_marked_up():
    assert rules.editable_text("<p>Un.</p><p>Deux<br>suite</p>") == "Un.\n\nDeux\nsuite"
    marked = "<p>Un <em>mot</em>.</p>"
    assert rules.editable_text(marked) == marked
    assert (
        rules.clean_story(rules.editable_text("<p>Un.</p><p>Deux.</p>")) == "<p>Un.</p><p>Deux.</p>"
    )
