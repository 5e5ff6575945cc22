"""Which recipe a prompt asks for: by meaning (sentence embeddings of the recipes' phrases) when an
embedding model is installed, else by the words themselves (TF-IDF over each recipe's keywords and
phrases). Either way, a recipe keyword written in the prompt counts in that recipe's favour.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from vocalis.engines.protocols import TextEmbedder
from vocalis.sound_effects.prompt import words
from vocalis.sound_effects.recipes import Recipe

KEYWORD_MATCHER = "keywords"
# What a prompt gets when none of its words belongs to any recipe: a neutral outdoor ambience.
FALLBACK_RECIPE = "wind"
# Recipe keywords the prompt names outright add this much to an embedding similarity (cosine, 0..1).
KEYWORD_BONUS = 0.12
# Words that say nothing about which sound it is.
STOPWORDS = {
    "a", "an", "the", "of", "on", "in", "into", "at", "to", "and", "or", "with", "by", "from", "for", "is",
    "it", "its", "as", "sound", "sounds", "effect", "effects", "sfx", "some", "someone", "something", "then",
    "that", "this", "very", "up", "out", "over", "off", "like", "after", "before", "while", "through",
}  # fmt: skip


@dataclass(frozen=True)
class RecipeMatch:
    recipe: Recipe
    score: float
    matcher: str  # the embedding model's name, or "keywords"
    runner_up: str


def stem(word: str) -> str:
    """A crude English stem, enough to meet "barking"/"barks"/"bark" and "crashes"/"crash"."""
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    return [stem(word) for word in words(text) if word not in STOPWORDS]


class RecipeMatcher:
    """Scores every recipe against a prompt. The embedder, when given, loads on the first match."""

    def __init__(self, recipes: list[Recipe], embedder: TextEmbedder | None = None):
        self.recipes = recipes
        self.embedder = embedder
        self._lock = threading.Lock()
        self._phrase_vectors: np.ndarray | None = None
        self._phrase_owner: np.ndarray | None = None
        # Keyword weights: a recipe's keywords count three times its phrases' words, scaled by IDF.
        documents = []
        for recipe in recipes:
            counts: Counter[str] = Counter()
            for keyword in recipe.keywords:
                counts.update({term: 3 for term in _terms(keyword)})
            for phrase in recipe.phrases:
                counts.update(_terms(phrase))
            counts.update(_terms(recipe.name.replace("_", " ")))
            documents.append(counts)
        frequency = Counter(term for document in documents for term in document)
        self._weights = [
            {term: count * math.log(1 + len(recipes) / frequency[term]) for term, count in document.items()}
            for document in documents
        ]
        self._keywords = [{stem(k) for keyword in r.keywords for k in words(keyword)} for r in recipes]

    @property
    def matcher_name(self) -> str:
        return self.embedder.name if self.embedder is not None else KEYWORD_MATCHER

    def match(self, prompt: str) -> RecipeMatch:
        scores = self.scores(prompt)
        order = np.argsort(-scores, kind="stable")
        best, second = int(order[0]), int(order[1])
        if scores[best] <= 0.0:
            best = next(i for i, recipe in enumerate(self.recipes) if recipe.name == FALLBACK_RECIPE)
        return RecipeMatch(
            self.recipes[best], float(scores[best]), self.matcher_name, self.recipes[second].name
        )

    def scores(self, prompt: str) -> np.ndarray:
        terms = _terms(prompt)
        named = np.array([float(any(term in keywords for term in terms)) for keywords in self._keywords])
        if self.embedder is None:
            return self._keyword_scores(terms) + 0.01 * named
        vectors, owner = self._phrases()
        similarity = vectors @ self.embedder.embed([prompt])[0]
        best = np.full(len(self.recipes), -1.0)
        np.maximum.at(best, owner, similarity)
        return best + KEYWORD_BONUS * named

    def _keyword_scores(self, terms: list[str]) -> np.ndarray:
        return np.array([sum(weights.get(term, 0.0) for term in terms) for weights in self._weights])

    def _phrases(self) -> tuple[np.ndarray, np.ndarray]:
        """Every recipe phrase (and its name) embedded once per loaded model."""
        assert self.embedder is not None
        with self._lock:
            if self._phrase_vectors is None:
                texts, owner = [], []
                for index, recipe in enumerate(self.recipes):
                    for phrase in (*recipe.phrases, recipe.name.replace("_", " ") + " sound"):
                        texts.append(phrase)
                        owner.append(index)
                self._phrase_vectors = self.embedder.embed(texts)
                self._phrase_owner = np.array(owner)
            assert self._phrase_owner is not None
            return self._phrase_vectors, self._phrase_owner
