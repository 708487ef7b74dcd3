"""The tool-calling agent: its assembly, running tools safely, describing failures."""
