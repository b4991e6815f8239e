"""The one exception type users see: its message is printed as a single line, with no traceback."""


class PipelineError(Exception):
    """A problem the user can act on (bad input, missing file, full disk...).

    The CLI prints `error: <message>` and exits non-zero. Messages name the file and the problem.
    """


class InputError(PipelineError):
    """The manuscript (or clip) given is unusable."""
