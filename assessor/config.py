"""One settings file, `assessor.toml`, so a run does not repeat --out, --forks, --profile...

Found as: `assessor --config FILE` (or $ASSESSOR_CONFIG), else ./assessor.toml, else
$XDG_CONFIG_HOME/assessor/assessor.toml (~/.config when unset); the first found is the
only one read. Keys are the long options (`fail_on` or `fail-on`); top-level keys apply to
every command that has the option, a `[command]` table (`[assess]`, `[lab]`) to that
command only and wins over the top level. The values become the parser's defaults, so a
flag given on the command line always wins. Every error names the file and the line.
"""

from __future__ import annotations

import argparse
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessor.errors import ConfigError

FILE_NAME = "assessor.toml"
ENV = "ASSESSOR_CONFIG"
NOT_SETTINGS = {"help", "version", "config_file"}
# options whose name means something else there: `intel pull --out` is a bundle file, not
# the report directory a top-level `out` names (set it in [intel] instead)
NOT_FROM_TOP = {("intel pull", "out")}


@dataclass(frozen=True)
class Setting:
    value: Any
    line: int
    table: str  # "" for the top level


@dataclass
class Settings:
    path: Path | None = None
    top: dict[str, Setting] = field(default_factory=dict)
    tables: dict[str, dict[str, Setting]] = field(default_factory=dict)

    def where(self, setting: Setting) -> str:
        table = f" [{setting.table}]" if setting.table else ""
        return f"{self.path}:{setting.line}{table}"


def find(explicit: Path | None, cwd: Path | None = None,
         env: dict[str, str] | None = None) -> Path | None:
    env = dict(os.environ) if env is None else env
    if explicit is None and env.get(ENV):
        explicit = Path(env[ENV])
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: settings file not found")
        return explicit
    local = (cwd or Path.cwd()) / FILE_NAME
    if readable_file(local):
        return local
    home = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME", "~")) / ".config")
    user = home.expanduser() / "assessor" / FILE_NAME
    return user if readable_file(user) else None


def readable_file(path: Path) -> bool:
    """A settings file this user can see: a directory it may not enter (another user's
    HOME under sudo -u, say) holds no settings for it, rather than a traceback."""
    try:
        return path.is_file()
    except OSError:
        return False


def load(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = f":{where.group(1)}:{where.group(2)}" if where else ""
        raise ConfigError(f"{path}{line}: not valid TOML: {message}") from exc
    lines = key_lines(text)
    settings = Settings(path=path)
    for key, value in data.items():
        if isinstance(value, dict):
            settings.tables[key] = {
                dest(k): Setting(v, lines.get((key, k), 0), key) for k, v in value.items()}
        else:
            settings.top[dest(key)] = Setting(value, lines.get(("", key), 0), "")
    return settings


def dest(key: str) -> str:
    return key.replace("-", "_")


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def key_lines(text: str) -> dict[tuple[str, str], int]:
    """(table, key) -> line number, for messages (tomllib keeps no positions)."""
    found: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header, key = _TABLE.match(line), _KEY.match(line)
        if header:
            table = header.group(1)
        elif key:
            found.setdefault((table, key.group(1)), number)
    return found


@dataclass(frozen=True)
class Effective:
    """One option of one command as the run will see it, and where its value came from."""

    command: str
    option: str
    value: str
    source: str


def commands_of(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every (sub)command's parser by its full name: `assess`, `lab up`..."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, current: argparse.ArgumentParser) -> None:
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    full = f"{prefix} {name}".strip()
                    found[full] = sub
                    walk(full, sub)

    walk("", parser)
    return found


def options_of(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions
            if a.option_strings and a.dest not in NOT_SETTINGS
            and not isinstance(a, argparse._SubParsersAction)}


def apply(parser: argparse.ArgumentParser, settings: Settings) -> list[Effective]:
    """Make the file's values the defaults of every command that has those options."""
    commands = commands_of(parser)
    tops = {c.split()[0] for c in commands}
    for table in settings.tables:
        if table not in tops:
            line = min((s.line for s in settings.tables[table].values()), default=0)
            raise ConfigError(f"{settings.path}:{line}: [{table}] is not a command "
                              f"(commands: {', '.join(sorted(tops))})")
    known = {d for sub in commands.values() for d in options_of(sub)}
    for name, setting in settings.top.items():
        if name not in known:
            raise ConfigError(f"{settings.where(setting)}: no command has an option "
                              f"--{name.replace('_', '-')}")
    for table, values in settings.tables.items():
        mine = {d for full, sub in commands.items() if full.split()[0] == table
                for d in options_of(sub)}
        for name, setting in values.items():
            if name not in mine:
                raise ConfigError(f"{settings.where(setting)}: {table} has no option "
                                  f"--{name.replace('_', '-')}")
    effective: list[Effective] = []
    for full, sub in commands.items():
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            continue  # a group of actions (`lab`): its leaves hold the options
        scoped = settings.tables.get(full.split()[0], {})
        for name, action in options_of(sub).items():
            chosen = scoped.get(name)
            if chosen is None and (full, name) not in NOT_FROM_TOP:
                chosen = settings.top.get(name)
            if chosen is None:
                effective.append(Effective(full, option_name(action), shown(action.default),
                                           "default"))
                continue
            set_default(action, chosen, settings)
            effective.append(Effective(full, option_name(action), shown(chosen.value),
                                       settings.where(chosen)))
    return effective


def option_name(action: argparse.Action) -> str:
    return max(action.option_strings, key=len)


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(getattr(value, "value", value))


def set_default(action: argparse.Action, setting: Setting, settings: Settings) -> None:
    """Check the value as the flag would be checked, then make it the default."""
    where = settings.where(setting)
    value = setting.value
    flag = option_name(action)
    if action.nargs == 0:  # store_true / store_false
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {flag} is a switch: give true or false")
        action.default = value
        return
    many = isinstance(action, argparse._AppendAction)
    items = value if many and isinstance(value, list) else [value]
    if isinstance(value, (dict, list)) and not many:
        raise ConfigError(f"{where}: {flag} takes one value")
    converted = [convert(action, item, where) for item in items]
    action.default = converted if many else converted[0]
    action.required = False


def convert(action: argparse.Action, value: Any, where: str) -> Any:
    flag = option_name(action)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where}: {flag}: give a string or a number")
    choices = ", ".join(shown(c) for c in action.choices or ())
    try:
        result = action.type(str(value)) if callable(action.type) else value
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        why = f"{value!r} is not one of {choices}" if choices else f"{exc} ({value!r})"
        raise ConfigError(f"{where}: {flag}: {why}") from exc
    if action.choices is not None and result not in action.choices:
        raise ConfigError(f"{where}: {flag}: {value!r} is not one of {choices}")
    return result


def flags_win(args: argparse.Namespace, parser: argparse.ArgumentParser,
              argv: list[str]) -> None:
    """A repeatable option given on the command line replaces the file's list (argparse
    would append to it)."""
    for sub in commands_of(parser).values():
        for name, action in options_of(sub).items():
            default = action.default
            if not isinstance(action, argparse._AppendAction) or not default:
                continue
            given = getattr(args, name, None)
            if (isinstance(given, list) and len(given) > len(default)
                    and given[:len(default)] == default
                    and any(arg.split("=")[0] in action.option_strings for arg in argv)):
                setattr(args, name, given[len(default):])
