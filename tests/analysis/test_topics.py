"""Theme proposal: recovers clear themes, deterministic, robust to empty and tiny inputs."""

import random
from collections import Counter

import numpy as np
import pytest

from consult.analysis.topics import (
    propose_topics,
    select_features,
    term_matrix,
    tfidf,
    topic_count_hint,
)

THEMES = {
    "santé": ["les soins dentaires", "l'hôpital", "les médecins", "la prévention", "la santé"],
    "prix": ["les cotisations", "le tarif", "trop cher", "le remboursement", "les prix"],
    "climat": ["la planète", "le climat", "l'écologie", "le carbone", "les déchets"],
}


def corpus(per_theme=60, seed=3):
    """Short French answers, each about one theme; returns texts and their true themes."""
    rng = random.Random(seed)
    texts, truth = [], []
    for theme, phrases in THEMES.items():
        for _ in range(per_theme):
            chosen = rng.sample(phrases, 3)
            texts.append(f"Pour moi, {chosen[0]} et {chosen[1]}, surtout {chosen[2]}.")
            truth.append(theme)
    return texts, truth


def test_proposal_recovers_clear_themes():
    """Each proposed theme gathers the texts of one true theme, with telling key terms."""
    texts, truth = corpus()
    proposal = propose_topics(texts, n_topics=3)
    assert len(proposal.topics) == 3
    assert sum(t.size for t in proposal.topics) == len(texts)
    assert proposal.unassigned == 0
    found = set()
    for number, topic in enumerate(proposal.topics):
        members = [truth[i] for i in np.flatnonzero(proposal.assignments == number)]
        theme, count = Counter(members).most_common(1)[0]
        assert count / len(members) >= 0.9
        found.add(theme)
        assert all(truth[i] == theme for i in topic.representatives)
        assert len(topic.representatives) == 5
        assert len(set(topic.representatives)) == 5
    assert found == set(THEMES)
    terms = {term for topic in proposal.topics for term in topic.key_terms}
    assert {"santé", "cotisation", "climat"} <= terms  # accented display, singular
    assert not terms & {"les", "pour", "moi", "surtout"}


def test_topics_are_sorted_by_size_and_numbered_accordingly():
    """Largest theme first; assignments use the same numbering."""
    texts, _ = corpus()
    texts = texts + texts[:60]  # the health theme twice as large
    proposal = propose_topics(texts, n_topics=3)
    sizes = [t.size for t in proposal.topics]
    assert sizes == sorted(sizes, reverse=True)
    assert [int((proposal.assignments == i).sum()) for i in range(3)] == sizes
    assert "santé" in proposal.topics[0].key_terms


def test_proposal_is_reproducible():
    """The same texts and seed give the same themes."""
    texts, _ = corpus(per_theme=30)
    first, second = propose_topics(texts, 3, seed=7), propose_topics(texts, 3, seed=7)
    assert first.topics == second.topics
    assert (first.assignments == second.assignments).all()


def test_sampling_still_assigns_every_text():
    """Fitting on a sample still gives every text its theme."""
    texts, truth = corpus(per_theme=100)
    proposal = propose_topics(texts, n_topics=3, sample_size=60)
    assert proposal.unassigned == 0
    assert sum(t.size for t in proposal.topics) == 300


def test_texts_without_words_get_no_theme():
    """Empty answers and stop words only are left unassigned."""
    texts, _ = corpus(per_theme=20)
    texts += ["", "   ", "Oui, c'est le cas.", None]
    proposal = propose_topics(texts, n_topics=3)
    assert list(proposal.assignments[-4:]) == [-1, -1, -1, -1]
    assert proposal.unassigned == 4


@pytest.mark.parametrize("texts", [[], [""], ["santé"], ["santé", "santé"]])
def test_tiny_inputs_do_not_fail(texts):
    """Too little text gives few or no themes instead of an error."""
    proposal = propose_topics(texts, n_topics=4)
    assert len(proposal.assignments) == len(texts)
    assert len(proposal.topics) <= 1


def test_number_of_topics_is_bounded():
    """One theme or a hundred is refused."""
    with pytest.raises(ValueError):
        propose_topics(["a"], n_topics=1)
    with pytest.raises(ValueError):
        propose_topics(["a"], n_topics=31)
    assert 2 <= topic_count_hint(0) <= topic_count_hint(350_000) <= 12


def test_progress_is_reported_up_to_the_end():
    """A background job can show how far the proposal went."""
    texts, _ = corpus(per_theme=10)
    seen = []
    propose_topics(texts, 3, progress=lambda fraction, step: seen.append((fraction, step)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_term_matrix_and_feature_selection():
    """Counts per text, rare and ubiquitous words pruned, rows of unit length."""
    counts, keys, displays = term_matrix(["Santé santé soins", "les soins", "climat", "santé"])
    column = {key: i for i, key in enumerate(keys)}
    assert counts[0, column["sante"]] == 2 and counts[1, column["soin"]] == 1
    assert displays[column["sante"]] == "santé"
    kept = select_features(counts, max_features=10, min_df=2, max_df=0.9)
    assert sorted(keys[i] for i in kept) == ["sante", "soin"]
    assert list(select_features(counts, max_features=1, min_df=1, max_df=1.0)) == [column["sante"]]
    weights = tfidf(counts)
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0)
