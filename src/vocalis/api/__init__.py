"""HTTP and WebSocket adapters: parse, call the domain, shape ElevenLabs-compatible responses."""
