"""Speech to text: recognition, word timing, diarization, audio events and export formats."""
