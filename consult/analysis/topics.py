"""Theme proposal from open answers: French-aware TF-IDF and NMF (pure, no Flask).

Built for a consultation's volume (350,000 texts on 2 cores, under a minute and 2 GB): every text
is tokenised once with a per-token cache, the term matrix is sparse and pruned to the most useful
words, the NMF model is fitted on a sample and then applied to every text.
"""

from __future__ import annotations

import math
import warnings
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from consult.analysis.words import TOKEN_RE, normalise_token, strip_accents

Progress = Callable[[float, str], None]

MIN_TOPICS, MAX_TOPICS = 2, 30


@dataclass(frozen=True)
class ProposedTopic:
    """A theme found in the texts: its key terms, how many texts it holds, texts that show it."""

    key_terms: tuple[str, ...]
    #: number of texts whose strongest theme is this one
    size: int
    #: positions (in the input sequence) of texts that illustrate the theme best
    representatives: tuple[int, ...]

    @property
    def label(self) -> str:
        """A provisional name made of the first key terms, until an analyst renames it."""
        return ", ".join(self.key_terms[:3])


@dataclass(frozen=True)
class TopicProposal:
    """The themes proposed for a set of texts and the theme of each text (-1 for none)."""

    topics: tuple[ProposedTopic, ...]
    assignments: np.ndarray = field(repr=False)
    #: distinct normalised words kept as features
    features: int = 0

    @property
    def unassigned(self) -> int:
        """Texts without any kept word (empty, stop words only, too rare): no theme."""
        return int(np.count_nonzero(self.assignments < 0))


def _noop(_fraction: float, _message: str) -> None:
    """Default progress callback: report nothing."""


def term_matrix(
    texts: Sequence[str], progress: Progress = _noop
) -> tuple[sparse.csr_matrix, list[str], list[str]]:
    """Count normalised words per text: (texts × words) counts, word keys, display forms.

    Each distinct raw token is normalised once; texts then cost one dict lookup per token.
    """
    token_ids: dict[str, int] = {}
    vocabulary: dict[str, int] = {}
    displays: list[str] = []
    indices = array("i")
    indptr = array("q", [0])
    step = max(1, len(texts) // 20)

    def learn(token: str) -> None:
        """Give a new raw token its word id, or -1 when it is a stop word."""
        word = normalise_token(token)
        if word is None:
            token_ids[token] = -1
            return
        position = vocabulary.get(word.key)
        if position is None:
            position = vocabulary[word.key] = len(displays)
            displays.append(word.display)
        elif displays[position] == word.key and word.display != word.key:
            displays[position] = word.display  # keep the accented spelling once seen
        token_ids[token] = position

    findall = TOKEN_RE.findall
    for number, text in enumerate(texts):
        tokens = findall(text or "")
        try:
            ids = [token_ids[token] for token in tokens]
        except KeyError:
            for token in tokens:
                if token not in token_ids:
                    learn(token)
            ids = [token_ids[token] for token in tokens]
        indices.extend(ids)
        indptr.append(len(indices))
        if number % step == 0:
            progress(0.4 * number / max(1, len(texts)), "tokenise")
    columns = np.frombuffer(indices, dtype=np.int32) if len(indices) else np.zeros(0, np.int32)
    pointers = np.frombuffer(indptr, dtype=np.int64)
    rows = np.repeat(np.arange(len(texts), dtype=np.int32), np.diff(pointers))
    keep = columns >= 0
    counts = sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (rows[keep], columns[keep])),
        shape=(len(texts), len(displays)),
    )
    counts.sum_duplicates()
    return counts, list(vocabulary), displays


def select_features(
    counts: sparse.csr_matrix, max_features: int, min_df: int, max_df: float
) -> np.ndarray:
    """Columns worth keeping: in at least `min_df` texts, at most a `max_df` share, most common."""
    n_texts = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    ok = (df >= min_df) & (df <= max(min_df, max_df * n_texts))
    candidates = np.flatnonzero(ok)
    if len(candidates) > max_features:
        # most frequent first; ties broken by column number so the choice is reproducible
        order = np.lexsort((candidates, -df[candidates]))
        candidates = np.sort(candidates[order[:max_features]])
    return candidates


def tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sublinear TF-IDF with rows scaled to unit length (long texts do not dominate)."""
    n_texts = counts.shape[0]
    weights = counts.astype(np.float32, copy=True)
    np.log(weights.data, out=weights.data)
    weights.data += 1.0
    df = np.bincount(weights.indices, minlength=weights.shape[1])
    idf = (np.log((1.0 + n_texts) / (1.0 + df)) + 1.0).astype(np.float32)
    weights.data *= idf[weights.indices]
    norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    weights.data /= np.repeat(norms, np.diff(weights.indptr)).astype(np.float32)
    return weights


def default_min_df(n_texts: int) -> int:
    """Words must appear in a few texts: 2 for small sets, 1 in 5,000 texts for large ones."""
    return max(2, n_texts // 5000)


def propose_topics(
    texts: Sequence[str],
    n_topics: int = 8,
    *,
    n_terms: int = 8,
    n_representatives: int = 5,
    sample_size: int = 25_000,
    max_features: int = 4_000,
    max_df: float = 0.5,
    seed: int = 0,
    progress: Progress = _noop,
) -> TopicProposal:
    """Propose up to `n_topics` themes for the texts, largest first.

    Deterministic for a given seed. Texts without any useful word get no theme (-1).
    """
    if not MIN_TOPICS <= n_topics <= MAX_TOPICS:
        raise ValueError(f"n_topics must be between {MIN_TOPICS} and {MAX_TOPICS}")
    n_texts = len(texts)
    counts, _keys, displays = term_matrix(texts, progress)
    columns = select_features(counts, max_features, default_min_df(n_texts), max_df)
    assignments = np.full(n_texts, -1, dtype=np.int32)
    if len(columns) < 2:
        return TopicProposal((), assignments, len(columns))
    counts = counts[:, columns]
    terms = [displays[column] for column in columns]
    progress(0.45, "weigh")
    weights = tfidf(counts)
    del counts
    filled = np.flatnonzero(np.diff(weights.indptr) > 0)
    k = min(n_topics, len(filled), len(columns))
    if k < 1 or len(filled) < 2:
        return TopicProposal((), assignments, len(columns))

    rng = np.random.default_rng(seed)
    sample = filled
    if len(filled) > sample_size:
        sample = np.sort(rng.choice(filled, size=sample_size, replace=False))
    progress(0.5, "fit")
    model = NMF(
        n_components=k,
        init="nndsvda",
        solver="cd",
        max_iter=400,
        tol=1e-4,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # an NMF stopped at max_iter still gives usable themes; do not fail the job for it
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(weights[sample])
        progress(0.75, "transform")
        loadings = _transform(model, weights[filled])
    strongest = loadings.argmax(axis=1)
    best = loadings[np.arange(len(filled)), strongest]
    assignments[filled] = np.where(best > 0, strongest, -1)

    found: list[tuple[int, ProposedTopic]] = []
    for topic in range(k):
        members = np.flatnonzero(assignments[filled] == topic)
        if len(members) == 0:
            continue
        top_terms = np.argsort(-model.components_[topic], kind="stable")[:n_terms]
        key_terms = tuple(terms[t] for t in top_terms if model.components_[topic, t] > 0)
        found.append(
            (
                topic,
                ProposedTopic(
                    key_terms=key_terms,
                    size=len(members),
                    representatives=_representatives(
                        texts, filled[members], loadings[members], topic, n_representatives
                    ),
                ),
            )
        )
    progress(1.0, "done")
    # largest themes first; renumber assignments to follow that order
    found.sort(key=lambda pair: (-pair[1].size, pair[1].key_terms))
    remap = np.full(k, -1, dtype=np.int32)
    for new, (old, _topic) in enumerate(found):
        remap[old] = new
    assignments = np.where(assignments >= 0, remap[np.maximum(assignments, 0)], -1)
    return TopicProposal(
        tuple(topic for _old, topic in found), assignments.astype(np.int32), len(columns)
    )


def _transform(model: NMF, weights: sparse.csr_matrix, chunk: int = 50_000) -> np.ndarray:
    """Apply a fitted NMF to every text in chunks (bounded memory, few iterations needed)."""
    parts = [
        model.transform(weights[start : start + chunk]).astype(np.float32)
        for start in range(0, weights.shape[0], chunk)
    ]
    return np.vstack(parts)


def _representatives(
    texts: Sequence[str], positions: np.ndarray, loadings: np.ndarray, topic: int, wanted: int
) -> tuple[int, ...]:
    """Texts most purely and strongly about the theme, distinct, of a readable length."""
    totals = loadings.sum(axis=1)
    totals[totals == 0] = 1.0
    purity = loadings[:, topic] / totals
    score = purity * loadings[:, topic]
    order = np.argsort(-score, kind="stable")
    chosen: list[int] = []
    seen: set[str] = set()
    fallback: list[int] = []
    for index in order[: max(200, wanted * 40)]:
        position = int(positions[index])
        text = texts[position] or ""
        signature = strip_accents(" ".join(text.lower().split()))
        if signature in seen:
            continue
        seen.add(signature)
        words = len(text.split())
        (chosen if 5 <= words <= 80 else fallback).append(position)
        if len(chosen) >= wanted:
            break
    chosen += fallback[: wanted - len(chosen)]
    return tuple(chosen[:wanted])


def topic_count_hint(n_texts: int) -> int:
    """A sensible default number of themes: more texts support a few more themes."""
    if n_texts <= 0:
        return MIN_TOPICS
    return max(MIN_TOPICS, min(12, round(math.log10(n_texts) * 2)))
