"""MCP: tools from MCP servers joining the registry, and this app's tools served over MCP.

Not named `mcp`: `streamlit run streamlit_agent/app.py` puts this package's folder first on
sys.path, where a folder of that name would shadow the MCP SDK."""
