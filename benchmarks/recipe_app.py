"""The plain recipe: LangChain's Streamlit agent example, kept as a yardstick.

What a user writes following LangChain's Streamlit docs: the history lives in
`st.session_state` through `StreamlitChatMessageHistory`, the agent is rebuilt on every
rerun, nothing is stored, and every message is redrawn each rerun. benchmarks/turns.py
measures the app against it; keep it plain, so the comparison stays honest.

    OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 STREAMLIT_AGENT_MODEL=scripted-model \
        .venv/bin/python -m streamlit run benchmarks/recipe_app.py
"""

from __future__ import annotations

import os

import streamlit as st
from langchain_classic.agents import AgentExecutor, create_tool_calling_agent
from langchain_community.callbacks.streamlit import StreamlitCallbackHandler
from langchain_community.chat_message_histories import StreamlitChatMessageHistory
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory
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
prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a helpful assistant. Use the calculator for arithmetic."),
        MessagesPlaceholder("chat_history"),
        ("human", "{input}"),
        MessagesPlaceholder("agent_scratchpad"),
    ]
)
tools = [calculator]
executor = AgentExecutor(agent=create_tool_calling_agent(llm, tools, prompt), tools=tools)
agent = RunnableWithMessageHistory(
    executor,
    lambda session_id: msgs,
    input_messages_key="input",
    history_messages_key="chat_history",
    output_messages_key="output",
)

for msg in msgs.messages:
    with st.chat_message(msg.type):
        st.markdown(msg.content)

if question := st.chat_input("Ask a question"):
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        handler = StreamlitCallbackHandler(st.container())
        response = agent.invoke(
            {"input": question},
            {"callbacks": [handler], "configurable": {"session_id": "any"}},
        )
        st.markdown(response["output"])
