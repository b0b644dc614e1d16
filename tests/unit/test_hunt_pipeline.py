"""The hunt pipeline's own logic: the baseline is the previous hunt's state, two modules'
results make one outcome, fetched indicators cite their URL, URLs are checked up front."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessor.errors import ConfigError
from assessor.hunt.fetch import fetch_iocs, is_url, suffix_for
from assessor.intel import Indicator, IndicatorType, Origin
from assessor.pipeline.hunt import STATE_FILE, from_urls, merged, previous_state
from assessor.rundir import host_dir
from assessor.runner import HostOutcome


def test_the_baseline_is_the_latest_earlier_hunt_of_that_host(tmp_path: Path) -> None:
    for run, accounts in (("20261201T000000Z", ["a"]), ("20261201T120000Z", ["b"])):
        path = host_dir(tmp_path / run, "web-01") / STATE_FILE
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"accounts": accounts}))
    (tmp_path / "20261201T180000Z").mkdir()  # a run without this host's state
    current = tmp_path / "20261202T000000Z"
    current.mkdir()
    assert previous_state(tmp_path, current, "web-01") == {"accounts": ["b"]}
    assert previous_state(tmp_path, current, "db-01") is None
    assert previous_state(tmp_path, tmp_path / "20261201T000000Z", "web-01") is None
    assert previous_state(tmp_path / "nowhere", current, "web-01") is None


def test_fetched_indicators_cite_the_url_not_the_temporary_file() -> None:
    fetched = "/tmp/assessor-iocs-x/feed-1a2b.csv"
    origin = Origin(f"{fetched} (annex)", f"{fetched}:2")
    indicator = Indicator(IndicatorType.IPV4, "203.0.113.9", (origin,))
    named = {fetched: "https://cert.example/feed.csv"}
    cited = from_urls(indicator, named).origins[0]
    assert cited == Origin("https://cert.example/feed.csv (annex)",
                           "https://cert.example/feed.csv:2")
    assert from_urls(indicator, {}) is indicator


def test_urls_and_their_file_types() -> None:
    assert is_url("https://cert.example/x") and is_url("http://127.0.0.1:8000/a.json")
    assert not is_url("file:///etc/passwd") and not is_url("iocs.csv")
    assert suffix_for("https://x/bundle.json?sig=1", "text/plain") == ".json"
    assert suffix_for("https://x/export", "application/stix+json;version=2.1") == ".json"
    assert suffix_for("https://x/export", "text/csv; charset=utf-8") == ".csv"
    assert suffix_for("https://x/export", "application/octet-stream") == ".txt"


@pytest.mark.parametrize("url", ["ftp://cert.example/x.csv", "file:///etc/hosts"])
def test_other_schemes_are_refused_before_any_traffic(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="must be http:// or https://"):
        fetch_iocs(url, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_plays_two_results_make_one_outcome_and_a_failure_wins() -> None:
    sweep = HostOutcome(True, {"sweep": {"hits": []}})
    state = HostOutcome(True, {"state": {"accounts": []}})
    failed = HostOutcome(False, message="module crashed")
    assert merged(None, sweep) is sweep
    assert merged(sweep, state).result == {"sweep": {"hits": []}, "state": {"accounts": []}}
    assert merged(sweep, failed) is failed
    assert merged(failed, state) is failed
