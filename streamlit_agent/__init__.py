"""streamlit-agent: a Streamlit chat app around a LangChain tool-calling agent."""
