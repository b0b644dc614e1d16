"""What a quarantine run did, as findings in the hunt's results (section Threats).

moved or removed: pass (the file, line, unit... is in the vault or gone, its detection
finding stays a failure of the run); would-move / would-remove under --check: manual;
refused (a dpkg-owned file, a symlink, a file changed since the scan): fail, with what to
do; missing or error: error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from assessor.results import Finding, Severity, Status

STATUSES = {"moved": Status.PASS, "would-move": Status.MANUAL, "refused": Status.FAIL,
            "removed": Status.PASS, "would-remove": Status.MANUAL,
            "missing": Status.ERROR, "error": Status.ERROR}
TITLES = {"file": "Detected file quarantined", "lines": "Detected lines removed, file kept",
          "unit": "Detected unit stopped and quarantined",
          "process": "Detected process stopped, executable kept",
          "account": "Extra UID 0 account removed", "shell": "Login shell taken back",
          "unmount": "Mount hiding a process removed"}


def remediation(item: Mapping[str, Any]) -> str:
    if item.get("package"):
        return (f"Reinstall the package to restore its file: apt-get install --reinstall "
                f"{item['package']} (then hunt again).")
    if item.get("status") == "moved":
        return ("Undo with: assessor quarantine restore RUN_DIR --limit "
                f"{item.get('host')} --id {item.get('id')}")
    return ""


def quarantine_findings(items: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """One finding per item the quarantine module reported on."""
    findings = []
    for item in items:
        status = STATUSES.get(str(item.get("status")), Status.ERROR)
        evidence = {k: item.get(k) for k in ("id", "action", "path", "sha256", "status",
                                             "vault", "package", "reversible")
                    if item.get(k) not in (None, "")}
        findings.append(Finding(
            control_id=f"hunt.quarantine:{item.get('path')}",
            title=TITLES.get(str(item.get("action", "file")), TITLES["file"]),
            section="Threats", severity=Severity.HIGH,
            status=status, reason=f"{item.get('status')}: {item.get('reason', '')}",
            expected="removed, what it was kept in the host's vault",
            observed=str(item.get("status")),
            evidence=yaml.safe_dump(evidence, sort_keys=True, allow_unicode=False),
            remediation=remediation(item),
        ))
    return findings
