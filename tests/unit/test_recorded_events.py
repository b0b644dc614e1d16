"""Events recorded elsewhere (ansible-runner artifacts, AWX job_events) read back as outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessor.errors import ConfigError
from assessor.runner import recorded_outcomes


def event(counter: int, kind: str, host: str, **res: object) -> dict[str, object]:
    return {"counter": counter, "event": kind,
            "event_data": {"host": host, "remote_addr": f"{host}.lab", "res": res}}


def test_artifact_directory_gives_each_hosts_last_outcome_in_counter_order(tmp_path: Path) -> None:
    events = tmp_path / "artifacts" / "abc" / "job_events"
    events.mkdir(parents=True)
    # file names sort differently from the counter: the counter decides
    for name, ev in [("9-x.json", event(9, "runner_on_ok", "a", snapshot={"n": 2})),
                     ("10-y.json", event(2, "runner_on_failed", "a", msg="first try")),
                     ("3-z.json", event(3, "runner_on_unreachable", "b", msg="no route")),
                     ("4-p.json", {"counter": 4, "event": "playbook_on_stats", "event_data": {}})]:
        (events / name).write_text(json.dumps(ev))
    outcomes = recorded_outcomes(tmp_path)
    assert outcomes["a"].outcome.ok and outcomes["a"].outcome.result["snapshot"] == {"n": 2}
    assert outcomes["a"].address == "a.lab"
    assert outcomes["b"].outcome.unreachable and outcomes["b"].outcome.message == "no route"


def test_awx_pages_and_plain_lists_are_the_same_events(tmp_path: Path) -> None:
    evs = [event(1, "runner_on_ok", "a", snapshot={}), event(2, "runner_on_ok", "b", snapshot={})]
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps([{"results": evs[:1], "next": "x"}, {"results": evs[1:]}]))
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(evs))
    assert recorded_outcomes(pages) == recorded_outcomes(flat)
    assert sorted(recorded_outcomes(pages)) == ["a", "b"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"results": [\n  {"event": "runner_on_ok",\n', ":3: not JSON"),
    ('[{"id": 1}]', "expected Ansible job events"),
    ('"a string"', "expected Ansible job events"),
])
def test_bad_exports_name_the_file_and_what_is_wrong(tmp_path: Path, text: str,
                                                     message: str) -> None:
    path = tmp_path / "job_events.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        recorded_outcomes(path)
    assert str(path) in str(caught.value)


def test_a_directory_without_events_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not an ansible-runner artifact directory"):
        recorded_outcomes(tmp_path)
    with pytest.raises(ConfigError, match="no such events file"):
        recorded_outcomes(tmp_path / "missing.json")
