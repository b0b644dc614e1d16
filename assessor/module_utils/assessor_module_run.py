"""How our read-only probe modules end: the work's result, timed, under one key, and
nothing changed (the hunt's sweep and the watch's state report their own seconds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def exit_timed(module: Any, key: str, work: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """exit_json(changed=False, key=work(params) with its `seconds`)."""
    started = time.monotonic()
    result = work(module.params)
    result["seconds"] = round(time.monotonic() - started, 3)
    module.exit_json(changed=False, **{key: result})
