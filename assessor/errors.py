"""One small error hierarchy: the CLI catches it once and prints one line.

Anything else that escapes is a bug and keeps its traceback. A host that cannot be reached
is not an error of the run: it is that host's result (HostOutcome.unreachable, then
HostResult.error), so the other hosts are judged and reported, and the command exits
NOT_ASSESSED.
"""

NOT_ASSESSED = 3  # the exit code when some host could not be assessed (or reached)
TO_ACT_ON = 1  # the exit code when a reached host has something to act on


def outcome_code(*, some_host_missed: bool, something_to_act_on: bool) -> int:
    """The one rule every command that reaches hosts ends with (README, "Exit codes").

    3 when some host could not be reached or processed, whatever the others showed: the
    run is incomplete, and a gate must not read it as clean or as a list of findings that
    is whole; else 1 when a reached host has something to act on (a failing control, an
    exposure, a match, a regression, a conflict left alone); else 0. (2, a usage or
    configuration error, is raised as ConfigError before any host is reached.)
    """
    if some_host_missed:
        return NOT_ASSESSED
    return TO_ACT_ON if something_to_act_on else 0


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

