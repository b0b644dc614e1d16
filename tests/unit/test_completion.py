"""Shell completion answers from the real parser: commands, actions, options, choices."""

from __future__ import annotations

import io
from typing import Any

import argcomplete
import argcomplete.finders
import pytest
from argcomplete import io as argcomplete_io

from assessor.cli import parse_arguments

FINDER = argcomplete.autocomplete  # the real finder, before any test wraps it


class Done(Exception):
    pass


def complete(line: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """What bash would offer at the end of `line`: argcomplete's protocol (the environment
    the script from `register-python-argcomplete` sets), answered in this process."""
    for key, value in {"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
                       "COMP_POINT": str(len(line)), "_ARGCOMPLETE_SHELL": "bash"}.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()

    def answer(parser: Any, **kwargs: Any) -> None:
        def stop(code: int = 0) -> None:
            raise Done(code)

        FINDER(parser, exit_method=stop, output_stream=out, **kwargs)

    monkeypatch.setattr(argcomplete, "autocomplete", answer)
    # its debug stream is fd 9 by default: in pytest that fd is pytest's own
    monkeypatch.setattr(argcomplete.finders.CompletionFinder, "_init_debug_stream",
                        lambda self: setattr(argcomplete_io, "debug_stream", io.StringIO()))
    with pytest.raises(Done):
        parse_arguments(line.split()[1:])
    return {word.strip() for word in out.getvalue().split("\n") if word.strip()}


def test_bash_completion_offers_commands_options_and_choices(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {"doctor", "diff"} <= complete("assessor d", monkeypatch)
    assert complete("assessor assess --fail-", monkeypatch) == {"--fail-on"}
    assert complete("assessor assess --fail-on h", monkeypatch) == {"high"}
    assert complete("assessor controls list --format ", monkeypatch) == {
        "table", "plain", "json", "csv"}
    assert complete("assessor config sh", monkeypatch) == {"show"}
