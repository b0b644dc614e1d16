"""Indicators of compromise from a CERT's warnings: STIX 2.1, TAXII 2.1, MISP, CSV.

Controller-only data and logic: nothing here reaches a host. Every format is read into
one Indicator model, validated (file and place of the first problem, exit 2),
de-duplicated across sources, and turned into the lookup tables a hunt judge needs.
"""

from assessor.intel.allowlist import Warninglist, load_warninglists
from assessor.intel.loader import load_intel, read_source
from assessor.intel.lookup import HuntTables, hunt_tables
from assessor.intel.merge import dedupe, select
from assessor.intel.model import (
    Indicator,
    IndicatorType,
    Intake,
    IntelError,
    Origin,
    SkipKind,
    Skipped,
)
from assessor.intel.summary import summarise

__all__ = [
    "HuntTables",
    "Indicator",
    "IndicatorType",
    "Intake",
    "IntelError",
    "Origin",
    "SkipKind",
    "Skipped",
    "Warninglist",
    "dedupe",
    "hunt_tables",
    "load_intel",
    "load_warninglists",
    "read_source",
    "select",
    "summarise",
]
