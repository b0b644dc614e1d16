"""The nftables probes: the live ruleset and /etc/nftables.conf with includes inlined.

Moved verbatim from roles/collect/library/assessor_snapshot.py; runs on the host.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from ansible.module_utils.assessor_probe_io import read_text, run_command

# --- nftables -----------------------------------------------------------------------------------

NFT_CONFIG = "/etc/nftables.conf"
MAX_INCLUDE_DEPTH = 8


def probe_nft_ruleset(_wanted: object) -> dict[str, Any]:
    nft = next((p for p in ("/usr/sbin/nft", "/sbin/nft") if os.path.exists(p)), "nft")
    result: dict[str, Any] = run_command([nft, "-j", "list", "ruleset"])
    return result


def probe_nft_config(_wanted: object) -> dict[str, Any]:
    """/etc/nftables.conf with its `include` lines replaced by what they include."""
    if not os.path.exists(NFT_CONFIG):
        return {"exists": False}
    return {"exists": True, "content": inline_includes(NFT_CONFIG, 0)}


def inline_includes(path: str, depth: int) -> str:
    text, _ = read_text(path)
    lines = []
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if len(words) == 2 and words[0] == "include" and depth < MAX_INCLUDE_DEPTH:
            pattern = words[1].strip().strip('"')
            if not pattern.startswith("/"):
                pattern = os.path.join("/etc", pattern)
            for included in sorted(glob.glob(pattern)):
                lines.append("# include %s" % included)
                lines.append(inline_includes(included, depth + 1))
            continue
        lines.append(line)
    return "\n".join(lines)
