"""Events are kept in the run directory exactly as ansible-runner keeps them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from assessor.checks.kernel import parse_sysctl_conf, parsed_sysctl_conf
from assessor.runner import write_event


def test_an_event_is_written_where_and_as_the_runner_writes_it(tmp_path: Path) -> None:
    event = {"uuid": "u-1", "counter": 7, "event": "runner_on_ok",
             "event_data": {"host": "h", "res": {"snapshot": {"é": [1, 2.5, None, True]}}}}
    write_event(tmp_path / "job_events", event)
    written = tmp_path / "job_events" / "7-u-1.json"
    with open(tmp_path / "runner.json", "w", encoding="utf-8") as runner_way:
        json.dump(event, runner_way)  # what ansible-runner's event_callback does
    assert written.read_text(encoding="utf-8") == (tmp_path / "runner.json").read_text()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "job_events").iterdir()] == ["7-u-1.json"]


def test_an_event_without_uuid_is_not_a_job_event(tmp_path: Path) -> None:
    write_event(tmp_path / "job_events", {"event": "verbose", "stdout": "x"})
    assert not (tmp_path / "job_events").exists()


def test_a_sysctl_file_parsed_once_gives_what_parsing_gives() -> None:
    text = "# c\nnet.ipv4.ip_forward = 0\n-kernel.x\nnet/ipv4/conf/all/rp_filter=1\n"
    assert list(parsed_sysctl_conf(text, "/etc/sysctl.conf")) == \
        parse_sysctl_conf(text, "/etc/sysctl.conf")
    assert parsed_sysctl_conf(text, "/etc/sysctl.conf") is \
        parsed_sysctl_conf(text, "/etc/sysctl.conf")
