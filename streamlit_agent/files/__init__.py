"""Files attached in the chat: what kind a file is by its content (kinds.py), the limits
it is held to, and the one error a file is refused with (errors.py). Below conversation/
and above store/: it imports neither the store nor anything above it.
"""
