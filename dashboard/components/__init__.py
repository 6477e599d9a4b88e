"""Reusable dashboard components: pure render functions plus thin Streamlit glue."""
