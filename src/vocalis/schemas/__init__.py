"""Request and response models; field names verbatim from ElevenLabs' OpenAPI spec."""
