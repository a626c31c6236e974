"""Streamlit-only glue: the page frame, cached wrappers, widgets. The only place under lib/ that
imports streamlit."""
