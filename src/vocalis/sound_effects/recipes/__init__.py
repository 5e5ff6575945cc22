"""The library of procedural effect recipes, by name. Each family module adds its recipes on import."""

from vocalis.sound_effects.recipes import action, foley, living, nature, tones  # noqa: F401  (registration)
from vocalis.sound_effects.recipes.base import LIBRARY, Recipe, Render

RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in LIBRARY}

__all__ = ["RECIPES", "Recipe", "Render"]
