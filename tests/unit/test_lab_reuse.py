"""`lab up --reuse` (make demo run twice): keep a lab that is as asked and answering."""

from __future__ import annotations

from pathlib import Path

from assessor.lab.reuse import RESTART, REUSE, START, Seen, plan
from assessor.lab.state import LabHost, LabState

FLAVOURS = ["weak", "partial", "hardened"]


def lab(count: int = 3, release: str = "bookworm") -> LabState:
    hosts = [LabHost(f"{FLAVOURS[i % 3]}-{i + 1:02d}", FLAVOURS[i % 3], i + 1,
                     f"10.0.0.{i + 11}", f"ns{i}") for i in range(count)]
    return LabState("demo", release, "10.0.0.0/24", "/inv/demo.yml", "/k", "/kh", hosts)


def seen(state: LabState, down: tuple[str, ...] = ()) -> list[Seen]:
    return [Seen(h.name, h.name not in down, h.name not in down) for h in state.hosts]


def test_not_up_starts() -> None:
    assert plan(None, [], count=3, release="bookworm", flavours=FLAVOURS,
                inventory=None)[0] == START


def test_a_lab_as_asked_with_every_host_answering_is_reused() -> None:
    state = lab()
    verdict, why = plan(state, seen(state), count=3, release="bookworm", flavours=FLAVOURS,
                        inventory=None)
    assert verdict == REUSE and "3 host(s) running" in why


def test_hosts_gone_restart_it() -> None:
    state = lab()
    verdict, why = plan(state, seen(state, down=("partial-02",)), count=3, release="bookworm",
                        flavours=FLAVOURS, inventory=None)
    assert verdict == RESTART and "partial-02" in why
    assert plan(state, [], count=3, release="bookworm", flavours=FLAVOURS,
                inventory=None)[0] == RESTART  # the status saw no host at all


def test_a_lab_unlike_what_was_asked_restarts() -> None:
    state = lab()
    assert plan(state, seen(state), count=2, release="bookworm", flavours=FLAVOURS,
                inventory=None)[0] == RESTART
    assert plan(state, seen(state), count=3, release="trixie", flavours=FLAVOURS,
                inventory=None)[0] == RESTART
    assert plan(state, seen(state), count=3, release="bookworm", flavours=["weak"],
                inventory=None)[0] == RESTART
    assert plan(state, seen(state), count=3, release="bookworm", flavours=FLAVOURS,
                inventory=Path("/elsewhere.yml"))[0] == RESTART
    assert plan(state, seen(state), count=3, release="bookworm", flavours=FLAVOURS,
                inventory=Path("/inv/demo.yml"))[0] == REUSE
