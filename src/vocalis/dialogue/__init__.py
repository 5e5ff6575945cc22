"""Text to Dialogue: several voices' lines spoken one after another as one audio (`service.py`)."""
