"""Professional voice cloning: samples, speaker separation, the voice captcha and training (see service.py)."""
