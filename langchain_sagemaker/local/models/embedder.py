"""A deterministic text embedder for the local embedding containers.

:class:`Embedder` stands in for a sentence-embedding model (BERT-like: a
``[CLS]`` token, word-pieces, a ``[SEP]`` token, mean pooling). It is pure
Python, downloads nothing and gives the same vector for the same text on
every machine:

* Text is NFKC-normalised and lowercased, then split into words and single
  punctuation marks; each CJK character is a word of its own, and words
  longer than :data:`PIECE_LENGTH` characters are cut into word-pieces
  (``"embeddings"`` -> ``"embedd"``, ``"##ings"``).
* Each word is a sparse feature vector -- the word itself plus its character
  3-grams with boundary marks (``"<do"``, ``"dog"``, ``"og>"``) -- hashed
  with CRC-32 into ``dimension`` buckets with a hashed sign. Very common
  English words (:data:`STOPWORDS`) and punctuation weigh little, so two
  texts are close when they share content words or word stems.
* A word's vector is shared evenly by its word-pieces; ``[CLS]`` and
  ``[SEP]`` carry the mean of the pieces, so the mean of
  :meth:`Embedder.token_vectors` (mean pooling) points exactly where
  :meth:`Embedder.embed` does, which is that mean L2-normalised.

Similar texts get similar vectors (cosine), unrelated texts near-orthogonal
ones, and a question that shares words with one of a handful of paragraphs
retrieves it. It is no language model: synonyms that share no letters are
unrelated to it.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

from langchain_sagemaker.local.models.tokens import is_cjk

__all__ = [
    "DEFAULT_DIMENSION",
    "PIECE_LENGTH",
    "STOPWORDS",
    "Embedder",
    "EmbeddingModel",
    "cosine",
    "l2_normalize",
]

#: Width of the vectors unless told otherwise (all-MiniLM-L6-v2's).
DEFAULT_DIMENSION = 384
#: Words longer than this are cut into word-pieces of this many characters.
PIECE_LENGTH = 6

_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because
been before being below between both but by can could did do does doing down
during each few for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would
you your yours yourself yourselves
"""
#: Common English words that carry little meaning; they weigh little.
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORDS = re.compile(r"\w+|[^\w\s]")
_WORD_WEIGHT = 1.0
_STOPWORD_WEIGHT = 0.15
_PUNCTUATION_WEIGHT = 0.1
_NGRAM_SHARE = 0.8  # of a word's weight spread over its character 3-grams

#: A sparse vector: (bucket, value) pairs.
_Sparse = tuple[tuple[int, float], ...]


@runtime_checkable
class EmbeddingModel(Protocol):
    """What the embedding containers need from a model."""

    name: str
    dimension: int

    def pieces(self, text: str) -> list[str]:
        """Split ``text`` into word-pieces (no special tokens)."""
        ...

    def pooled(self, pieces: Sequence[str]) -> list[float]:
        """The mean-pooled, not normalised, vector of ``[CLS] pieces [SEP]``."""
        ...

    def piece_vectors(self, pieces: Sequence[str]) -> list[list[float]]:
        """One vector per token of ``[CLS] pieces [SEP]``."""
        ...


def _normalize_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _split_word(word: str) -> list[str]:
    if len(word) <= PIECE_LENGTH:
        return [word]
    return [word[:PIECE_LENGTH]] + [
        "##" + word[start : start + PIECE_LENGTH]
        for start in range(PIECE_LENGTH, len(word), PIECE_LENGTH)
    ]


def _words(text: str) -> list[str]:
    """Words and punctuation marks of normalised ``text``; CJK chars apart."""
    words: list[str] = []
    for match in _WORDS.findall(_normalize_text(text)):
        if any(is_cjk(char) for char in match):
            run = ""
            for char in match:
                if is_cjk(char):
                    if run:
                        words.append(run)
                        run = ""
                    words.append(char)
                else:
                    run += char
            if run:
                words.append(run)
        else:
            words.append(match)
    return words


def l2_normalize(vector: Sequence[float]) -> list[float]:
    """Return ``vector`` scaled to unit length (all zeros stay zeros)."""
    norm = math.sqrt(math.fsum(value * value for value in vector))
    if norm == 0.0:
        return [0.0] * len(vector)
    return [value / norm for value in vector]


class Embedder:
    """Hashed character n-gram embeddings, deterministic and dependency-free.

    Args:
        dimension: Width of the vectors (default 384).

    Attributes:
        name: The registry name of the model.
        dimension: Width of the vectors.
    """

    name = "embedder"

    def __init__(self, dimension: int = DEFAULT_DIMENSION) -> None:
        if isinstance(dimension, bool) or not isinstance(dimension, int):
            raise TypeError("dimension must be an int")
        if dimension < 1:
            raise ValueError("dimension must be at least 1")
        self.dimension = dimension
        self._word = lru_cache(maxsize=65536)(self._word_features)

    def __repr__(self) -> str:
        return f"Embedder(dimension={self.dimension})"

    # -- tokens ------------------------------------------------------------------

    def pieces(self, text: str) -> list[str]:
        """Return the word-pieces of ``text``, without special tokens.

        Args:
            text: Any text.

        Returns:
            Lowercased words, punctuation marks and ``##``-continued pieces
            of long words, in order.
        """
        return [piece for word in _words(text) for piece in _split_word(word)]

    def count_tokens(self, text: str) -> int:
        """Return how many tokens ``text`` is, ``[CLS]`` and ``[SEP]`` included."""
        return len(self.pieces(text)) + 2

    # -- features ----------------------------------------------------------------------

    def _bucket(self, feature: str) -> tuple[int, float]:
        digest = zlib.crc32(feature.encode("utf-8"))
        return digest % self.dimension, 1.0 if digest & 0x80000000 else -1.0

    def _word_features(self, word: str) -> _Sparse:
        """The sparse vector of one whole word (cached)."""
        features: dict[int, float] = {}

        def add(feature: str, value: float) -> None:
            bucket, sign = self._bucket(feature)
            features[bucket] = features.get(bucket, 0.0) + sign * value

        if not any(char.isalnum() for char in word):
            add("p:" + word, _PUNCTUATION_WEIGHT)
            return tuple(features.items())
        weight = _STOPWORD_WEIGHT if word in STOPWORDS else _WORD_WEIGHT
        add("w:" + word, weight)
        marked = f"<{word}>"
        grams = [marked[i : i + 3] for i in range(len(marked) - 2)]
        share = weight * _NGRAM_SHARE / math.sqrt(len(grams))
        for gram in grams:
            add("g:" + gram, share)
        return tuple(features.items())

    def _piece_features(self, pieces: Sequence[str]) -> list[_Sparse]:
        """Each piece's share of the vector of the word it belongs to."""
        out: list[_Sparse] = []
        start = 0
        while start < len(pieces):
            end = start + 1
            while end < len(pieces) and pieces[end].startswith("##"):
                end += 1
            word = pieces[start] + "".join(p[2:] for p in pieces[start + 1 : end])
            share = 1.0 / (end - start)
            features = self._word(word)
            scaled = tuple((bucket, value * share) for bucket, value in features)
            out.extend([scaled] * (end - start))
            start = end
        return out

    # -- vectors -------------------------------------------------------------------------

    def pooled(self, pieces: Sequence[str]) -> list[float]:
        """Return the mean-pooled (not normalised) vector of the tokens.

        Args:
            pieces: Word-pieces from :meth:`pieces` (possibly truncated).

        Returns:
            The mean of the token vectors of ``[CLS] pieces [SEP]``; all
            zeros when there are no pieces.
        """
        vector = [0.0] * self.dimension
        if not pieces:
            return vector
        for features in self._piece_features(pieces):
            for bucket, value in features:
                vector[bucket] += value
        count = len(pieces)
        return [value / count for value in vector]

    def piece_vectors(self, pieces: Sequence[str]) -> list[list[float]]:
        """Return one vector per token of ``[CLS] pieces [SEP]``.

        Args:
            pieces: Word-pieces from :meth:`pieces` (possibly truncated).

        Returns:
            ``len(pieces) + 2`` vectors; ``[CLS]`` and ``[SEP]`` are the mean
            of the others, so the mean of all is :meth:`pooled`.
        """
        mean = self.pooled(pieces)
        vectors = [mean]
        for features in self._piece_features(pieces):
            vector = [0.0] * self.dimension
            for bucket, value in features:
                vector[bucket] += value
            vectors.append(vector)
        vectors.append(list(mean))
        return vectors

    def token_vectors(self, text: str) -> list[list[float]]:
        """Return one vector per token of ``text``, ``[CLS]`` and ``[SEP]`` included.

        Args:
            text: Any text.

        Returns:
            ``count_tokens(text)`` vectors of width :attr:`dimension`; their
            mean, L2-normalised, is ``embed([text])[0]``.
        """
        return self.piece_vectors(self.pieces(text))

    def embed_one(self, text: str) -> list[float]:
        """Return the unit-length embedding of one text."""
        return l2_normalize(self.pooled(self.pieces(text)))

    def embed(self, texts: Sequence[str] | str) -> list[list[float]]:
        """Return the unit-length embedding of each text.

        Args:
            texts: The texts (a single string counts as one text).

        Returns:
            One L2-normalised vector of width :attr:`dimension` per text (all
            zeros for a text without words).
        """
        if isinstance(texts, str):
            texts = [texts]
        return [self.embed_one(text) for text in texts]

    def generate(self, prompt: str) -> Iterator[str]:
        """Yield nothing: an embedder generates no text.

        Present so that an :class:`Embedder` is a
        :class:`~langchain_sagemaker.local.models.base.Model` and can be
        given wherever one is expected (``LocalEndpoint(model=Embedder())``).
        """
        return iter(())


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the cosine similarity of two vectors (0.0 if either is zero)."""
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(
        math.fsum(y * y for y in b)
    )
    return dot / norm if norm else 0.0
