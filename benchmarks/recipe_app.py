"""The plain recipe: LangChain's Streamlit agent example, kept as a yardstick.

What a user writes following LangChain's docs (LangChain 1.x: `create_agent`, and
`StreamlitCallbackHandler` for the steps): the history lives in `st.session_state`
through `StreamlitChatMessageHistory` and is handed to the agent whole, the agent is
rebuilt on every rerun, nothing is stored, and every message is redrawn each rerun.
benchmarks/turns.py measures the app against it; keep it plain, so the comparison stays honest.

    OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 STREAMLIT_AGENT_MODEL=scripted-model \
        .venv/bin/python -m streamlit run benchmarks/recipe_app.py
"""

from __future__ import annotations

import os

import streamlit as st
from langchain.agents import create_agent
from langchain_community.callbacks.streamlit import StreamlitCallbackHandler
from langchain_community.chat_message_histories import StreamlitChatMessageHistory
from langchain_openai import ChatOpenAI

from streamlit_agent.tools.calculator import calculator

st.set_page_config(page_title="plain recipe", page_icon="🦜")
st.title("🦜 Plain recipe")

msgs = StreamlitChatMessageHistory(key="langchain_messages")

llm = ChatOpenAI(
    base_url=os.environ.get("OPENAI_BASE_URL"),
    model=os.environ.get("STREAMLIT_AGENT_MODEL", "gpt-4.1-mini"),
    api_key="x",
    streaming=True,
)
agent = create_agent(
    llm,
    [calculator],
    system_prompt="You are a helpful assistant. Use the calculator for arithmetic.",
)

for msg in msgs.messages:
    with st.chat_message(msg.type):
        st.markdown(msg.content)

if question := st.chat_input("Ask a question"):
    with st.chat_message("user"):
        st.markdown(question)
    msgs.add_user_message(question)
    with st.chat_message("assistant"):
        handler = StreamlitCallbackHandler(st.container())
        result = agent.invoke({"messages": msgs.messages}, {"callbacks": [handler]})
        answer = result["messages"][-1].text
        msgs.add_ai_message(answer)
        st.markdown(answer)
