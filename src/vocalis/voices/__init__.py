"""Voices: the premade catalogue, the user library, previews and search."""
