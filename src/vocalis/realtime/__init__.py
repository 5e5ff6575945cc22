"""Real-time speech over WebSockets: text buffering, contexts and the socket conversations."""
