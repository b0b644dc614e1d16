"""The threat hunt's data and pure logic: indicators to ship, host sweeps to findings.

Controller-only: nothing here reaches a host, runs Ansible or renders a report.
"""

from assessor.hunt.judge import (
    DEFAULT_PATHS,
    builtin_indicators,
    hunt_result,
    sweep_vars,
    tables_for,
)

__all__ = ["DEFAULT_PATHS", "builtin_indicators", "hunt_result", "sweep_vars", "tables_for"]
