"""Hub Scout logic. Nothing under lib/ imports streamlit except lib/ui/."""
