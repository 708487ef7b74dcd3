"""Untrusted text made safe to draw with Streamlit: see `streamlit_agent.safety.markdown`,
which the Markdown export shares (it must not import Streamlit, nor anything under ui/)."""

from streamlit_agent.safety.markdown import label_text, markdown_text, option_text

__all__ = ["label_text", "markdown_text", "option_text"]
