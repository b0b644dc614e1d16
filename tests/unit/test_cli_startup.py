"""What a run of one command loads: its own command module, not the other nineteen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assessor.cli import command_word


def test_the_command_word_is_found_past_the_top_level_config() -> None:
    assert command_word(["assess", "-i", "x"]) == "assess"
    assert command_word(["--config", "a.toml", "hunt"]) == "hunt"
    assert command_word(["--config=a.toml", "config"]) == "config"
    assert command_word(["-h"]) is None
    assert command_word(["asess"]) is None  # the full parser names the choices


def test_a_run_imports_only_its_own_commands_module(tmp_path: Path) -> None:
    """Importing every command (and so every pipeline and reporter) costs a second of CPU a
    run: `assess` loads assess's module and what it needs, not hunt's or watch's."""
    code = ("import sys; from assessor.cli import parse_arguments; "
            "parse_arguments(['assess', '-i', 'inv.yml']); "
            "print(sorted(m for m in sys.modules if m.startswith('assessor.commands.')))")
    env = {k: v for k, v in os.environ.items() if k != "ASSESSOR_CONFIG"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, cwd=tmp_path,
                         env=env | {"XDG_CONFIG_HOME": str(tmp_path)}).stdout.strip()
    assert out == "['assessor.commands.assess', 'assessor.commands.options']"
