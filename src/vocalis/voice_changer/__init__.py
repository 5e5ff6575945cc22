"""The voice changer (ElevenLabs' speech to speech): recorded speech spoken again in another voice, with its
words and timing kept."""
