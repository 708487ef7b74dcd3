"""The bundled no-key model (SmolLM2-135M via llama-cpp-python):
server, launcher, tool routing, grounding.
"""
