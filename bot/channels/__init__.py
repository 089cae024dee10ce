"""Channel adapters: turn channel payloads into `handlers.messages` types and back."""
