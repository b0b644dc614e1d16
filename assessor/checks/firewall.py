"""Host firewall: one firewall utility, and nftables denying input by default.

The persisted ruleset (/etc/nftables.conf, includes inlined by the probe) says what the
next boot loads; `nft -j list ruleset` says what the kernel enforces now. Both are judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.checks.core import Observation, Params, Snapshot, names_of, register
from assessor.checks.packages import installed
from assessor.checks.units import unit_state, unit_stats
from assessor.results import Status

FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")
REQUIREMENTS = ("default-deny", "loopback", "base-chains")
LOOPBACK = re.compile(r"\b(iif|iifname)\s+\"?lo\"?\s+(counter\s+)?accept\b")


# utility -> the unit that loads its rules at boot (iptables-persistent's is
# netfilter-persistent's); a utility not listed here is taken to have `NAME.service`
FIREWALL_UNITS = {"iptables-persistent": "netfilter-persistent.service"}


def firewall_unit(utility: str) -> str:
    return FIREWALL_UNITS.get(utility, f"{utility}.service")


def firewall_probes(params: Params) -> dict[str, Any]:
    return {"packages": True,
            "stat": unit_stats([firewall_unit(n) for n in names_of(params["utilities"])])}


@register("single_firewall", firewall_probes, required=("utilities",))
def single_firewall(snapshot: Snapshot, params: Params) -> Observation:
    """Exactly one firewall front end in use (CIS 4.1.1): two overwrite each other's rules,
    and one installed but not enabled loads no rules at boot. In use means installed with
    its boot unit enabled, read from the unit links as time_sync reads a time daemon's."""
    utilities = names_of(params["utilities"])
    packages = snapshot["packages"]
    present = [n for n in utilities if installed(packages.get(n))]
    states = {n: unit_state(snapshot, firewall_unit(n)) for n in present}
    used = [n for n in present if states[n][0] == "enabled"]
    observed = ", ".join(used) or "none"
    expected = "exactly one of " + ", ".join(utilities) + " installed with its unit enabled"
    evidence = "; ".join(f"{n} installed, {firewall_unit(n)} {states[n][0]} ({states[n][1]})"
                         for n in present) or "none of them installed (dpkg status)"
    if len(used) == 1:
        return Observation(Status.PASS, expected, observed, f"{observed} is the only one in use",
                           evidence)
    if used:
        reason = f"several in use: {observed}"
    elif present:
        reason = (f"none in use: {', '.join(present)} installed but its unit not enabled, "
                  "so boot loads no firewall rules")
    else:
        reason = "no firewall utility installed"
    return Observation(Status.FAIL, expected, observed, reason, evidence)


@dataclass
class Chain:
    hook: str | None = None
    policy: str | None = None
    rules: list[str] = field(default_factory=list)


def statements(text: str) -> list[tuple[int, str]]:
    """Split nft syntax into (depth-change or 0, statement) items; comments dropped."""
    items: list[tuple[int, str]] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        for token in re.findall(r"[{};]|[^{};]+", line):
            if token in "{};":
                items.append((0, " ".join(current).strip()))
                current = []
                if token != ";":
                    items.append((1 if token == "{" else -1, ""))
            else:
                current.append(token.strip())
        items.append((0, " ".join(current).strip()))
        current = []
    return [(d, s) for d, s in items if d or s]


def parse_nft_config(text: str) -> dict[str, Chain]:
    """Chains by `family table chain`, with hook, policy and rule texts."""
    chains: dict[str, Chain] = {}
    context: list[tuple[str, str]] = []  # (kind, name) of each open block
    pending = ""
    for depth, text_ in statements(text):
        if depth == 1:
            context.append(block_of(pending, context))
            pending = ""
            continue
        if depth == -1:
            context = context[:-1]
            continue
        pending = text_
        chain_name = current_chain(context)
        words = text_.split()
        if chain_name is not None:
            chain = chains.setdefault(chain_name, Chain())
            hook = re.search(r"\bhook\s+(\w+)", text_)
            if words[0] == "type" and hook:
                chain.hook = hook.group(1)
            elif words[0] == "policy" and len(words) > 1:
                chain.policy = words[1]
            else:
                chain.rules.append(text_)
        elif words[0] in ("add", "insert") and len(words) > 2 and words[1] == "rule":
            rest = words[2:] if words[2] in FAMILIES else ["ip", *words[2:]]
            if len(rest) > 3:
                chains.setdefault(" ".join(rest[:3]), Chain()).rules.append(" ".join(rest[3:]))
    return chains


def block_of(header: str, context: list[tuple[str, str]]) -> tuple[str, str]:
    words = [w for w in header.split() if w not in ("add", "create", "table", "chain")]
    kind = "chain" if re.search(r"\bchain\b", header) else "table" if "table" in header else ""
    if kind == "table":
        family = words[0] if len(words) > 1 and words[0] in FAMILIES else "ip"
        return ("table", f"{family} {words[-1]}")
    if kind == "chain":
        table = next((name for k, name in reversed(context) if k == "table"), None)
        if table is None:  # `add chain inet filter input { ... }`
            table = " ".join(words[:-1]) if words[:1] and words[0] in FAMILIES else (
                "ip " + " ".join(words[:-1]))
        return ("chain", f"{table} {words[-1]}")
    return ("other", header)


def current_chain(context: list[tuple[str, str]]) -> str | None:
    return context[-1][1] if context and context[-1][0] == "chain" else None


def judge_chains(chains: Mapping[str, Chain], requirement: str, hook: str,
                 source: str) -> Observation:
    base = {name: c for name, c in chains.items() if c.hook == hook}
    listed = "; ".join(f"{n} (hook {c.hook}, policy {c.policy or 'accept'})"
                       for n, c in chains.items() if c.hook) or "no base chains"
    evidence = f"{source}: {listed}"
    if requirement == "base-chains":
        hooks = {c.hook for c in chains.values()}
        missing = [h for h in ("input", "forward", "output") if h not in hooks]
        observed = "base chains for " + (", ".join(sorted(h for h in hooks if h)) or "nothing")
        expected = "base chains for input, forward, output"
        if missing:
            return Observation(Status.FAIL, expected, observed,
                               f"no base chain for {', '.join(missing)}", evidence)
        return Observation(Status.PASS, expected, observed, observed, evidence)
    if not base:
        return Observation(Status.FAIL, f"a {hook} base chain", "none",
                           f"no base chain on the {hook} hook", evidence)
    if requirement == "default-deny":
        drops = [n for n, c in base.items() if c.policy == "drop"]
        observed = ", ".join(f"{n} policy {c.policy or 'accept'}" for n, c in base.items())
        if drops:
            return Observation(Status.PASS, "policy drop", observed,
                               f"{hook} drops by default ({drops[0]})", evidence)
        return Observation(Status.FAIL, "policy drop", observed,
                           f"{hook} accepts by default: {observed}", evidence)
    accepting = [n for n, c in base.items() if any(LOOPBACK.search(r) for r in c.rules)]
    if accepting:
        return Observation(Status.PASS, "iif lo accept", f"in {accepting[0]}",
                           f"loopback traffic accepted in {accepting[0]}", evidence)
    return Observation(Status.FAIL, "iif lo accept", "no loopback rule",
                       f"no {hook} base chain accepts loopback traffic", evidence)


def requirement_of(params: Params) -> tuple[str, str]:
    requirement = str(params["require"])
    if requirement not in REQUIREMENTS:
        raise ValueError(f"require must be one of {', '.join(REQUIREMENTS)}")
    return requirement, str(params.get("hook", "input"))


@register("nft_persisted", lambda p: {"nft_config": True}, required=("require",),
          optional=("hook",))
def nft_persisted(snapshot: Snapshot, params: Params) -> Observation:
    requirement, hook = requirement_of(params)
    probe = snapshot["nft_config"]
    if not probe.get("exists"):
        return Observation(Status.FAIL, "/etc/nftables.conf", "missing",
                           "/etc/nftables.conf does not exist: nothing is loaded at boot")
    return judge_chains(parse_nft_config(probe["content"]), requirement, hook,
                        "/etc/nftables.conf")


def live_chains(ruleset: Mapping[str, Any]) -> dict[str, Chain]:
    """Chains of `nft -j list ruleset`; a rule's text is its JSON, enough to spot `iif lo`."""
    chains: dict[str, Chain] = {}
    for item in ruleset.get("nftables", []):
        if "chain" in item:
            c = item["chain"]
            name = f"{c['family']} {c['table']} {c['name']}"
            chain = chains.setdefault(name, Chain())
            chain.hook, chain.policy = c.get("hook"), c.get("policy")
        elif "rule" in item:
            r = item["rule"]
            name = f"{r['family']} {r['table']} {r['chain']}"
            chains.setdefault(name, Chain()).rules.append(rule_text(r.get("expr", [])))
    return chains


def rule_text(expr: list[Any]) -> str:
    """Enough of a JSON rule to read as nft syntax for the loopback pattern."""
    words = []
    for e in expr:
        match = e.get("match") if isinstance(e, dict) else None
        if match and isinstance(match.get("left"), dict) and "meta" in match["left"]:
            words.append(f"{match['left']['meta'].get('key')} {match.get('right')}")
        elif isinstance(e, dict):
            words.extend(e)
    return " ".join(words)


@register("nft_live", lambda p: {"nft_ruleset": True}, required=("require",),
          optional=("hook",))
def nft_live(snapshot: Snapshot, params: Params) -> Observation:
    requirement, hook = requirement_of(params)
    probe = snapshot["nft_ruleset"]
    if probe.get("rc") == 127:
        return Observation(Status.FAIL, "nftables", "nft not installed",
                           "nft is not installed: no nftables ruleset is enforced")
    if probe.get("rc") != 0:
        raise ValueError(f"nft -j list ruleset exited {probe.get('rc')}: {probe.get('stderr')}")
    return judge_chains(live_chains(json.loads(probe["stdout"])), requirement, hook,
                        "nft list ruleset")
