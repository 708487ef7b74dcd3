"""Files attached in the chat: what kind a file is by its content and the limits it is held
to (kinds.py), the one error a file is refused with (errors.py), images checked under a
pixel cap with an app-made thumbnail (images.py), a batch made ready to keep (attach.py),
what the model is sent of a question's files (model_input.py), and a document's text read
once in a worker process with budgets (extract.py) and cut into passages (passages.py).
Below conversation/ and above store/: it imports neither the store nor anything above it,
nor Streamlit.
"""
