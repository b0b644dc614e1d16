"""Shell completion (bash, zsh) through argcomplete: the shell asks `assessor` itself.

`register-python-argcomplete assessor` writes the shell side (`make completion` installs
it into the venv); at a TAB the shell runs `assessor` with _ARGCOMPLETE set, and this
answers from the real parser (commands, options, choices, files) and exits.
"""

from __future__ import annotations

import argparse
import os


def autocomplete(parser: argparse.ArgumentParser) -> None:
    if "_ARGCOMPLETE" not in os.environ:
        return  # a normal run: do not even import argcomplete
    import argcomplete

    argcomplete.autocomplete(parser)
