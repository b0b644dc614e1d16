"""Judge advisories against one host's dpkg/apt state: pure, no host is contacted.

Each (advisory, host) pair becomes one Finding, so every reporter shows it unchanged:
fail when exposed, pass when fixed or not affected, error when the fix is blocked (held
package, no repository offers it, dpkg unusable) or the host's state is unknown,
notapplicable when the advisory says nothing about the host's release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assessor.advisories import versions
from assessor.advisories.model import CODENAMES, Advisory, PackageFix, Release
from assessor.results import Finding, Status

SECTION = "Advisories"
GONE = ("not-installed", "config-files")


@dataclass(frozen=True)
class BinaryVerdict:
    """One installed binary against one package fix."""

    binary: str
    installed: str
    source: str
    source_version: str
    fixed: str
    state: str  # fixed | notaffected | exposed | nofix | blocked
    why: str
    target: str = ""

    @property
    def line(self) -> str:
        built = ""
        if self.source != self.binary or self.source_version != self.installed:
            built = f" (source {self.source} {self.source_version})"
        return f"{self.binary} {self.installed}{built}"


def host_release(state: Mapping[str, Any]) -> Release | None:
    facts = state.get("facts", {})
    distro = str(facts.get("os_id", "")).lower()
    version = str(facts.get("os_version_id", "")) or CODENAMES.get(
        str(facts.get("os_codename", "")), "")
    return Release(distro, version.split(".")[0] if distro == "debian" else version) if (
        distro and version) else None


def installed_binaries(
    state: Mapping[str, Any], fix: PackageFix
) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for key, entry in sorted(state.get("packages", {}).items()):
        name = key.split(":")[0]
        if entry.get("state") in GONE:
            continue
        if (fix.kind == "source" and entry.get("source") == fix.package) or (
            fix.kind == "binary" and name == fix.package
        ):
            found.append((name, entry))
    return found


def judge_binary(
    name: str, entry: Mapping[str, Any], fix: PackageFix, state: Mapping[str, Any]
) -> BinaryVerdict:
    installed = str(entry.get("version", ""))
    source_version = str(entry.get("source_version") or installed)
    compared = source_version if fix.kind == "source" else installed
    base = {"binary": name, "installed": installed, "source": str(entry.get("source", name)),
            "source_version": source_version, "fixed": fix.fixed}
    if not is_affected(compared, fix):
        if fix.fixed and versions.at_least(compared, fix.fixed):
            return BinaryVerdict(**base, state="fixed",
                                 why=f"{compared} is at or past the fix {fix.fixed}")
        return BinaryVerdict(**base, state="notaffected",
                             why=f"{compared} is outside the affected range")
    if entry.get("hold"):
        return BinaryVerdict(**base, state="blocked",
                             why=f"{name} is held (apt-mark hold) at {installed}: the fix "
                             f"{fix.fixed or '(none yet)'} cannot be installed")
    if not fix.fixed:
        return BinaryVerdict(**base, state="nofix",
                             why=f"{name} {installed} is affected and no fix is published")
    return with_candidate(base, name, fix, state)


def with_candidate(
    base: dict[str, str], name: str, fix: PackageFix, state: Mapping[str, Any]
) -> BinaryVerdict:
    """Exposed with the fix on offer, or blocked: what apt would install decides."""
    policy = state.get("policy", {}).get(name, {})
    candidate = str(policy.get("candidate", ""))
    table = policy.get("versions", [])

    def fixes(entry: Mapping[str, Any]) -> bool:
        compared = entry.get("source_version") or entry.get("version", "")
        if fix.kind == "binary":
            compared = entry.get("version", "")
        return bool(compared) and versions.at_least(str(compared), fix.fixed)

    offered = [v for v in table if fixes(v)]
    chosen = next((v for v in table if v.get("version") == candidate), None)
    if chosen is not None and fixes(chosen):
        origin = ", ".join(chosen.get("origins", [])) or "a configured repository"
        return BinaryVerdict(**base, state="exposed", target=candidate,
                             why=f"{name} {base['installed']} is affected; the fix is available: "
                             f"candidate {candidate} from {origin}")
    if offered:
        best = offered[0]
        return BinaryVerdict(**base, state="blocked",
                             why=f"{name}: {best['version']} (fixed) is offered by "
                             f"{', '.join(best.get('origins', [])) or 'a repository'} but apt's "
                             f"candidate is {candidate or 'none'} (pinned down?)")
    return BinaryVerdict(**base, state="blocked",
                         why=f"{name}: no configured repository offers {fix.package} >= "
                         f"{fix.fixed} (candidate {candidate or 'none'}): add the security "
                         "repository or a mirror that carries the fix")


def is_affected(version: str, fix: PackageFix) -> bool:
    if fix.last_affected:
        lower_ok = fix.introduced in ("", "0") or versions.compare(version, fix.introduced) >= 0
        return lower_ok and versions.compare(version, fix.last_affected) <= 0
    return versions.affected(version, fix.introduced, fix.fixed)


@dataclass(frozen=True)
class Verdict:
    """One advisory on one host, with the binaries behind the verdict."""

    advisory: Advisory
    status: Status
    reason: str
    binaries: tuple[BinaryVerdict, ...]
    fixes: tuple[PackageFix, ...]

    @property
    def exposed(self) -> bool:
        return any(b.state in ("exposed", "nofix", "blocked") for b in self.binaries)


def judge(advisory: Advisory, state: Mapping[str, Any], blocked: str = "") -> Verdict:
    """`blocked` is a host-level reason no fix can be installed now (failed pre-check)."""
    release = host_release(state)
    if release is None:
        return Verdict(advisory, Status.ERROR, "the host did not report its release "
                       "(/etc/os-release ID and VERSION_ID)", (), ())
    fixes = advisory.fixes_for(release)
    if not fixes:
        covered = sorted({str(f.release) for f in advisory.fixes}) or ["no dpkg release"]
        return Verdict(advisory, Status.NOTAPPLICABLE, f"the advisory lists nothing for "
                       f"{release} (it covers {', '.join(covered)})", (), ())
    binaries = tuple(
        judge_binary(name, entry, fix, state)
        for fix in fixes for name, entry in installed_binaries(state, fix)
    )
    verdict = summarise(advisory, tuple(fixes), binaries)
    if blocked and any(b.state == "exposed" for b in binaries):
        return Verdict(advisory, Status.ERROR, f"blocked: not patched: {blocked}; "
                       f"{verdict.reason}", binaries, verdict.fixes)
    return verdict


def summarise(
    advisory: Advisory, fixes: tuple[PackageFix, ...], binaries: tuple[BinaryVerdict, ...]
) -> Verdict:
    states = {b.state for b in binaries}
    if not binaries:
        names = ", ".join(sorted({f.package for f in fixes}))
        return Verdict(advisory, Status.PASS, f"not affected: no package built from {names} "
                       "is installed", binaries, fixes)
    problems = [b.why for b in binaries if b.state in ("blocked", "exposed", "nofix")]
    if "blocked" in states:
        return Verdict(advisory, Status.ERROR, "blocked: " + "; ".join(problems), binaries, fixes)
    if states & {"exposed", "nofix"}:
        return Verdict(advisory, Status.FAIL, "exposed: " + "; ".join(problems), binaries, fixes)
    return Verdict(advisory, Status.PASS, "fixed: " + "; ".join(b.why for b in binaries),
                   binaries, fixes)


def expected_text(fixes: Iterable[PackageFix]) -> str:
    return "; ".join(
        f"{f.package} >= {f.fixed}" if f.fixed else f"{f.package}: no fix published" for f in fixes
    )


def to_finding(verdict: Verdict) -> Finding:
    advisory = verdict.advisory
    if verdict.binaries:
        observed = "; ".join(b.line for b in verdict.binaries)
    elif verdict.fixes:
        observed = ", ".join(sorted({f.package for f in verdict.fixes})) + " not installed"
    else:
        observed = verdict.reason
    evidence = [f"{b.line}: {b.why}" for b in verdict.binaries]
    evidence += [f"advisory {advisory.id} ({advisory.format}) from {advisory.source}"]
    evidence += list(advisory.notes)
    severity_note = "" if advisory.severity_stated else " (the advisory states none: assumed)"
    return Finding(
        control_id=advisory.id,
        title=advisory.title,
        section=SECTION,
        severity=advisory.severity,
        status=verdict.status,
        reason=verdict.reason,
        expected=expected_text(verdict.fixes) or "not applicable",
        observed=observed,
        evidence="\n".join(evidence),
        rationale=(f"CVEs: {', '.join(advisory.cves) or 'none listed'}; severity "
                   f"{advisory.severity.value}{severity_note}; published "
                   f"{advisory.published or 'unknown'}"),
        remediation=remediation(verdict),
        refs={"cves": list(advisory.cves), "references": list(advisory.references),
              "advisory_format": advisory.format, "advisory_file": advisory.source},
    )


def remediation(verdict: Verdict) -> str:
    exposed = [b for b in verdict.binaries if b.state == "exposed"]
    held = [b.binary for b in verdict.binaries if b.state == "blocked" and "held" in b.why]
    steps = []
    if held:
        steps.append(f"release the hold when the change is approved: apt-mark unhold "
                     f"{' '.join(held)}")
    if exposed:
        pins = " ".join(f"{b.binary}={b.target}" for b in exposed)
        steps.append(f"upgrade: assessor patch --advisories {verdict.advisory.source} "
                     f"(apt-get install --only-upgrade {pins})")
    if any(b.state == "nofix" for b in verdict.binaries):
        steps.append("no fix is published yet: apply the advisory's mitigations and watch for "
                     "an update")
    if any(b.state == "blocked" and "repository" in b.why for b in verdict.binaries):
        steps.append("configure the security repository (or a mirror of it) on this host")
    return "; ".join(steps)


def upgrade_plan(verdicts: Iterable[Verdict]) -> dict[str, str]:
    """binary -> version to install: the candidates that reach every fixed version."""
    plan: dict[str, str] = {}
    for verdict in verdicts:
        for b in verdict.binaries:
            if b.state == "exposed" and (
                b.binary not in plan or versions.compare(b.target, plan[b.binary]) > 0
            ):
                plan[b.binary] = b.target
    return plan


def security_plan(state: Mapping[str, Any]) -> dict[str, str]:
    """Everything apt would take from a security suite (--all-security), holds respected."""
    held = set(state.get("held", []))
    return {
        str(u["package"]): str(u["version"]) for u in state.get("security_upgrades", [])
        if u.get("package") not in held
    }
