"""Chat models: which one to reach, the OpenAI-compatible client, replay, and the bundled model."""
