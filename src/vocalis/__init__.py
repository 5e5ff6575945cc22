"""Vocalis: a self-hosted, ElevenLabs-compatible AI audio platform."""

__version__ = "0.1.0"
