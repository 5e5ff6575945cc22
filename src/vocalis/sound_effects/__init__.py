"""Sound effects from text: the procedural recipe library, prompt parsing and matching, and the request
logic of `POST /v1/sound-generation` shared by every sound engine."""
