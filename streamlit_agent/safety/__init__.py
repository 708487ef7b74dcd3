"""Foundations every layer may use: untrusted text made safe to show and store,
the one secret scrubber, private files.
"""
