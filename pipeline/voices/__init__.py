"""Narrator voices as first-class objects: the registry (`registry`), reference-clip enrolment
(`clip`), speaker embeddings (`embedding`) and the per-file consistency check (`consistency`)."""
