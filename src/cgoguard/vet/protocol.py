"""The command-line protocol between ``go vet -vettool=PROG`` and PROG (unitchecker's).

The go command runs the tool three ways:

* ``PROG -flags``: the tool's flags as JSON (``[{"Name", "Bool", "Usage"}]``), so that
  ``go vet -vettool=PROG -select=CG101 ./...`` knows which flags to pass on;
* ``PROG -V=full``: one line ``NAME version devel ... buildID=HASH``; the go command keys its
  cache of vet results on it, so HASH must change whenever the results could;
* ``PROG [flags] vet.cfg``: analyse one package described by the JSON config, once per
  package and per dependency (``VetxOnly``: only facts for dependents are wanted).

Flags follow Go's flag package: ``-name``, ``-name=value`` or ``-name value`` (not for
booleans), one or two dashes, parsing stops at the first argument that is not a flag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cgoguard.errors import UsageError


@dataclass(frozen=True)
class FlagSpec:
    name: str
    boolean: bool
    usage: str
    listed: bool = True  # shown by -flags (go vet has its own -fix and passes it on itself)


DRIVER_FLAGS = (
    FlagSpec("V", True, "print version and exit (-V=full)"),
    FlagSpec("flags", True, "print the analyzer flags in JSON"),
    FlagSpec("json", True, "emit JSON output"),
    FlagSpec("c", False, "display offending line with this many lines of context"),
    FlagSpec("fix", True, "apply the safe fixes", listed=False),
    FlagSpec("diff", True, "with -fix, don't update the files, but print a unified diff"),
    FlagSpec("unsafe-fixes", True, "with -fix, also apply fixes that may change behaviour beyond the bug"),
    FlagSpec("select", False, "comma-separated rule ids, names, categories or id prefixes to run"),
    FlagSpec("ignore", False, "comma-separated rules to skip"),
    FlagSpec("config", False, "read cgoguard configuration from this file"),
    FlagSpec("tags", False, "build tags, for the conditions of #cgo lines"),
    FlagSpec("v", True, "no effect (deprecated)"),
)
_DRIVER = {f.name: f for f in DRIVER_FLAGS}
_TRUE, _FALSE = ("1", "t", "T", "true", "TRUE", "True"), ("0", "f", "F", "false", "FALSE", "False")


@dataclass
class Invocation:
    values: dict[str, str] = field(default_factory=dict)  # driver flags as given
    rules: dict[str, bool] = field(default_factory=dict)  # -<rule name>[=false]: run (or not) that rule
    args: list[str] = field(default_factory=list)

    def flag(self, name: str) -> bool:
        return self.values.get(name, "false") in _TRUE

    def value(self, name: str) -> str | None:
        return self.values.get(name)


def parse_args(argv: list[str]) -> Invocation:
    """Go-style flag parsing. Unknown flags are taken as the boolean enable flags of rules
    (``-missing-keepalive=false``); :func:`check_rule_flags` validates their names later,
    when the rules are loaded."""
    invocation = Invocation()
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, has_value, value = arg.lstrip("-").partition("=")
        spec = _DRIVER.get(name)
        if not name:
            raise UsageError(f"bad flag syntax: {arg}")
        if spec is not None and not spec.boolean and not has_value:
            if index + 1 >= len(argv):
                raise UsageError(f"flag needs an argument: -{name}")
            index += 1
            value, has_value = argv[index], True
        if spec is None or spec.boolean:
            value = value if has_value else "true"
            if value not in _TRUE + _FALSE and not (name == "V" and value == "full"):
                raise UsageError(f"invalid boolean value {value!r} for -{name}")
        if spec is None:
            invocation.rules[name] = value in _TRUE
        else:
            invocation.values[name] = value
        index += 1
    invocation.args = argv[index:]
    return invocation


def check_rule_flags(invocation: Invocation, rule_names: set[str]) -> None:
    unknown = sorted(set(invocation.rules) - rule_names)
    if unknown:
        raise UsageError(f"flag provided but not defined: -{unknown[0]}")


def selected_rules(invocation: Invocation) -> tuple[str, ...] | None:
    """Rule names enabled by ``-<name>`` flags, as go vet's analyzer flags work: any set true
    selects only those; otherwise the ones set false are dropped (None: no rule flag given)."""
    enabled = [name for name, on in invocation.rules.items() if on]
    return tuple(enabled) if enabled else None


def disabled_rules(invocation: Invocation) -> tuple[str, ...]:
    return () if selected_rules(invocation) else tuple(n for n, on in invocation.rules.items() if not on)


def flags_json(rule_flags: list[FlagSpec]) -> str:
    """What ``-flags`` prints: every flag but -fix (the go command handles -fix itself)."""
    listed = [f for f in (*DRIVER_FLAGS, *rule_flags) if f.listed]
    return json.dumps([{"Name": f.name, "Bool": f.boolean, "Usage": f.usage} for f in listed], indent="\t")


@dataclass
class VetConfig:
    """The per-package JSON the go command writes (cmd/go's vetConfig)."""

    id: str
    dir: Path
    import_path: str
    go_files: list[str]
    non_go_files: list[str]
    ignored_files: list[str]
    vetx_only: bool
    vetx_output: str
    stdout: str
    fix_archive: str
    go_version: str

    @classmethod
    def read(cls, path: str) -> VetConfig:
        try:
            data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read vet config {path}: {exc}") from exc
        if not isinstance(data, dict) or not data.get("GoFiles"):
            raise UsageError(f"package has no files: {data.get('ImportPath', path) if isinstance(data, dict) else path}")
        return cls(
            id=str(data.get("ID") or data.get("ImportPath") or ""),
            dir=Path(str(data.get("Dir") or ".")),
            import_path=str(data.get("ImportPath") or ""),
            go_files=[str(f) for f in data.get("GoFiles") or []],
            non_go_files=[str(f) for f in data.get("NonGoFiles") or []],
            ignored_files=[str(f) for f in data.get("IgnoredFiles") or []],
            vetx_only=bool(data.get("VetxOnly")),
            vetx_output=str(data.get("VetxOutput") or ""),
            stdout=str(data.get("Stdout") or ""),
            fix_archive=str(data.get("FixArchive") or ""),
            go_version=str(data.get("GoVersion") or ""),
        )
