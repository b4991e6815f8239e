"""Quality control of synthesised speech: per-chunk checks, intelligibility by speech recognition,
retakes of failing chunks, and the QA part of the report."""
