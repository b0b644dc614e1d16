"""The coverage profile as the watch config tailors it: the config's collector and
signature age replace the catalogue's defaults, and each agent it names becomes one more
`daemon_running` control (package, unit and, when given, process). Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from assessor.catalogue import Control, load_catalogue
from assessor.results import Severity

PROFILE = "coverage"


@dataclass(frozen=True)
class Agent:
    name: str
    package: str
    unit: str
    process: str = ""


@dataclass(frozen=True)
class CoverageConfig:
    collector: str = ""
    signature_max_age_hours: float | None = None
    agents: tuple[Agent, ...] = ()


def coverage_controls(config: CoverageConfig) -> list[Control]:
    controls = []
    for control in load_catalogue().profile(PROFILE):
        if control.kind == "log_forwarding" and config.collector:
            control = replace(control, check={**control.check, "collector": config.collector},
                              description=f"Logs reach the collector {config.collector}.")
        if control.kind == "newest_file_age" and config.signature_max_age_hours:
            control = replace(control, check={**control.check,
                                              "max_hours": config.signature_max_age_hours})
        controls.append(control)
    for agent in config.agents:
        check = {"kind": "daemon_running", "package": agent.package, "unit": agent.unit}
        if agent.process:
            check["process"] = agent.process
        controls.append(Control(
            id=f"coverage.agent-{agent.name}", title=f"The {agent.name} agent runs",
            severity=Severity.HIGH, section="Coverage of the central systems",
            rationale="The watch config names this agent as one the organisation relies on.",
            check=check, profiles=(PROFILE,),
            description=f"{agent.package} installed, {agent.unit} active"
            + (f", process {agent.process}" if agent.process else ""),
            remediate={"manual": f"Install {agent.package} and `systemctl enable --now "
                                 f"{agent.unit}`; its own logs say why it stopped."}))
    return controls
