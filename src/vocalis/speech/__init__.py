"""Text to speech: text preparation, synthesis orchestration and timing."""
