"""Professional voice cloning: samples, speaker separation, voice captcha and training (see service.py)."""
