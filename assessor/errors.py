"""One small error hierarchy: the CLI catches it once and prints one line.

Anything else that escapes is a bug and keeps its traceback. A host that cannot be reached
is not an error of the run: it is that host's result (HostOutcome.unreachable, then
HostResult.error), so the other hosts are judged and reported, and the command exits
NOT_ASSESSED.
"""

NOT_ASSESSED = 3  # the exit code when some host could not be assessed (or reached)


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

