"""Voice isolation (ElevenLabs' Voice Isolator): speech kept, background noise and music removed."""
