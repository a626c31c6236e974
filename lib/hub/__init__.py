"""Typed Hub records and the thin layer over huggingface_hub."""
