"""One small error hierarchy: the CLI catches it once and prints one line.

Anything else that escapes is a bug and keeps its traceback.
"""


class AssessorError(Exception):
    """An expected failure with the exit code the CLI should return."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(AssessorError):
    """Bad usage, inventory, catalogue or environment (exit 2)."""

    exit_code = 2


class UnreachableError(AssessorError):
    """A host could not be assessed at all (exit 3)."""

    exit_code = 3
