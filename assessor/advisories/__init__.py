"""Advisories (OSV, CSAF 2.0, CERT bulletin YAML) and the judge of a host's exposure.

Pure data and logic: nothing here reaches a host, so the commands feed it the state the
packages_state role returned.
"""

from assessor.advisories.judge import (
    Verdict,
    judge,
    security_plan,
    to_finding,
    upgrade_plan,
)
from assessor.advisories.loader import load_advisories
from assessor.advisories.model import Advisory, AdvisoryError, PackageFix, Release

__all__ = [
    "Advisory",
    "AdvisoryError",
    "PackageFix",
    "Release",
    "Verdict",
    "judge",
    "load_advisories",
    "security_plan",
    "to_finding",
    "upgrade_plan",
]
