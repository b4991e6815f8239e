"""Audiobook production pipeline: manuscript -> book -> chunks -> speech -> mastered chapters -> audiobook.

Plain, typed domain code. Nothing in this package knows about Prefect; `flows/` wraps it.
"""
