"""What a conversation is made of, wherever it is shown or stored:
steps and turns, the history budget, exports, the meter, limits.
"""
