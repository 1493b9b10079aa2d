"""Scan configuration: ``[tool.cgoguard]`` in pyproject.toml or a cgoguard.toml.

The closest configuration file at or above the scanned path wins (a ``cgoguard.toml`` beats
a ``pyproject.toml`` in the same directory); a pyproject.toml without a ``[tool.cgoguard]``
table counts as a configuration of defaults, so an unrelated file further up never leaks in.
Command-line options override the file. Unknown keys are rejected with the list of valid
ones, so that a typo never silently turns a check off.

A configuration found by walking up from the scanned path belongs to the scanned tree, which
may be code the user does not trust. It may not make cgoguard run anything or write or read
outside the tree: ``system-headers`` (which runs the C compiler and pkg-config) is ignored
there with a warning, and its ``cache-dir`` and ``baseline`` must stay inside the project.
A file named with ``--config``, and the command line, are the user's own and are honoured.
``isolated`` (``--isolated``) ignores every configuration file, as ruff's option does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cgoguard.errors import UsageError
from cgoguard.findings import Severity
from cgoguard.gofront.buildtags import KNOWN_ARCH, KNOWN_OS, BuildTarget
from cgoguard.gofront.discover import ROOT_MARKERS
from cgoguard.safeio import UNCONFINED, is_under, real_path

CONFIG_FILES = ("cgoguard.toml", "pyproject.toml")
MAX_CONFIG_BYTES = 1024 * 1024
FAIL_ON_CHOICES = ("error", "warning", "info", "none")
# The one setting that makes cgoguard run external tools (the C compiler, pkg-config).
SYSTEM_HEADERS = "system-headers"
Converter = Callable[[str, Any], Any]  # (key for messages, TOML value) -> ScanConfig value


@dataclass(frozen=True)
class ScanConfig:
    select: tuple[str, ...] = ()  # rule ids, names, categories or id prefixes; empty: all
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()  # (rule key, severity), keys as written
    tags: tuple[str, ...] = ()
    goos: str = "linux"
    goarch: str = "amd64"
    tests: bool = False
    generated: bool = False
    exclude: tuple[str, ...] = ()
    fail_on: str = "warning"
    contracts: Mapping[str, Any] = field(default_factory=dict)  # passed to cgoguard.contracts
    baseline: Path | None = None
    jobs: int | None = None  # worker processes; None: every available core
    cache_dir: Path | None = None  # None: <root>/.cgoguard_cache
    use_cache: bool = True
    root: Path = field(default_factory=Path.cwd)  # project root: paths in fingerprints are relative to it
    config_path: Path | None = None
    # Read <...> headers of the compiler's and pkg-config's include dirs: runs cc and pkg-config.
    system_headers: bool = False
    # The cache directory came from the scanned tree (the default, or its configuration): its
    # real location must stay inside ``root``.
    confine_cache: bool = True
    warnings: tuple[str, ...] = ()  # configuration settings that were ignored, and why
    # (glob relative to the project root, rule keys): rules not reported in matching files.
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Analyse the target only. Otherwise files the target leaves out (optional build tags,
    # other Unixes, `!cgo`) are analysed under extra builds; naming tags, goos or goarch (on
    # the command line or in the file) asks for that one target.
    single_target: bool = False

    @property
    def target(self) -> BuildTarget:
        return BuildTarget(goos=self.goos, goarch=self.goarch, tags=frozenset(self.tags),
                           include_tests=self.tests)

    @property
    def fail_threshold(self) -> Severity | None:
        return None if self.fail_on == "none" else Severity(self.fail_on)

    @property
    def effective_cache_dir(self) -> Path:
        return self.cache_dir or self.root / ".cgoguard_cache"

    def analysis_key(self) -> str:
        """A hash of every option that changes per-package analysis results (for the cache)."""
        relevant = {
            "select": self.select, "ignore": self.ignore, "tags": sorted(self.tags), "goos": self.goos,
            "goarch": self.goarch, "tests": self.tests, "generated": self.generated,
            "contracts": self.contracts, "root": str(self.root), "system_headers": self.system_headers,
            "single_target": self.single_target,
        }
        blob = json.dumps(relevant, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _str_list(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{key} must be a list of strings, got {value!r}")
    return tuple(value)


def _choice(choices: Iterable[str]) -> Callable[[str, Any], str]:
    allowed = tuple(choices)

    def convert(key: str, value: Any) -> str:
        if value not in allowed:
            raise UsageError(f"{key} must be one of {', '.join(sorted(allowed))}, got {value!r}")
        return value

    return convert


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{key} must be true or false, got {value!r}")
    return value


def _severities(key: str, value: Any) -> tuple[tuple[str, Severity], ...]:
    if not isinstance(value, dict):
        raise UsageError(f"{key} must be a table of rule = \"error|warning|info\", got {value!r}")
    return tuple((rule, Severity(_choice(s.value for s in Severity)(f"{key}.{rule}", level)))
                 for rule, level in value.items())


def _per_file_ignores(key: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise UsageError(f"{key} must be a table of \"glob\" = [rules], got {value!r}")
    return tuple((pattern, _str_list(f"{key}.{pattern}", rules)) for pattern, rules in value.items())


def _table(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{key} must be a table, got {value!r}")
    return value


def _jobs(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UsageError(f"{key} must be a positive integer, got {value!r}")
    return value


def _path(key: str, value: Any) -> Path:
    if not isinstance(value, str):
        raise UsageError(f"{key} must be a path string, got {value!r}")
    return Path(value)


# TOML key -> (ScanConfig field, converter). Keys are kebab-case; snake_case is accepted too.
_KEYS: dict[str, tuple[str, Converter]] = {
    "select": ("select", _str_list),
    "ignore": ("ignore", _str_list),
    "severity": ("severity", _severities),
    "tags": ("tags", _str_list),
    "goos": ("goos", _choice(KNOWN_OS)),
    "goarch": ("goarch", _choice(KNOWN_ARCH)),
    "tests": ("tests", _bool),
    "generated": ("generated", _bool),
    "exclude": ("exclude", _str_list),
    "fail-on": ("fail_on", _choice(FAIL_ON_CHOICES)),
    "contracts": ("contracts", _table),
    "baseline": ("baseline", _path),
    "jobs": ("jobs", _jobs),
    "cache-dir": ("cache_dir", _path),
    "cache": ("use_cache", _bool),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
}


def find_config(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """The closest configuration file at or above ``start`` and its ``cgoguard`` table."""
    directory = start if start.is_dir() else start.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILES:
            path = candidate_dir / name
            if path.is_file():
                return path, _read_table(path)
    return None, {}


def _read_table(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(UNCONFINED.read_text(path, MAX_CONFIG_BYTES, errors="strict"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("cgoguard", {})
    else:
        table = document.get("tool", {}).get("cgoguard", document)
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.cgoguard] must be a table")
    return table


def project_root(start: Path, config_path: Path | None) -> Path:
    if config_path is not None:
        return config_path.parent
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return directory


def parse_table(table: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Validate a ``[tool.cgoguard]`` table into ScanConfig field values."""
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KEYS:
            valid = ", ".join(sorted(_KEYS))
            raise UsageError(f"{source}: unknown key {raw_key!r} in [tool.cgoguard] (valid keys: {valid})")
        field_name, convert = _KEYS[key]
        values[field_name] = convert(f"{source}: {raw_key}", value)
    return values


def load_config(start_dir: str | Path | None = None, overrides: Mapping[str, Any] | None = None,
                config_file: str | Path | None = None, *, isolated: bool = False) -> ScanConfig:
    """Configuration for a scan starting at ``start_dir``: file values, then ``overrides``.

    ``overrides`` maps ScanConfig field names to values (None values are ignored), as the
    command line produces them. ``config_file`` names a file explicitly instead of searching;
    ``isolated`` reads no file at all. A file found by searching belongs to the scanned tree
    and is held to the module's trust rules (see the module docstring).
    """
    start = Path(start_dir or ".").resolve()
    if isolated and config_file is not None:
        raise UsageError("--isolated ignores every configuration file: do not combine it with --config")
    if config_file is not None:
        config_path: Path | None = Path(config_file).resolve()
        if not config_path.is_file():
            raise UsageError(f"{config_file}: no such configuration file")
        table = _read_table(config_path)
    elif isolated:
        config_path, table = None, {}
    else:
        config_path, table = find_config(start)
    values = parse_table(table, str(config_path)) if table else {}
    root = project_root(start, config_path)
    trusted = config_file is not None
    warnings = _apply_trust(values, str(config_path), root, trusted,
                            asked_on_command_line=bool((overrides or {}).get("system_headers")))
    known = {f.name for f in fields(ScanConfig)}
    for key, value in (overrides or {}).items():
        if key not in known:
            raise ValueError(f"unknown ScanConfig field {key!r}")
        if value is not None:
            values[key] = value
    if (overrides or {}).get("cache_dir") is not None:
        values["confine_cache"] = False
    if any(values.get(key) for key in ("tags", "goos", "goarch")):
        values.setdefault("single_target", True)
    config = replace(ScanConfig(root=root, config_path=config_path, warnings=tuple(warnings)), **values)
    # Command-line values bypass the table's converters: check the ones argparse cannot.
    _choice(KNOWN_OS)("goos", config.goos)
    _choice(KNOWN_ARCH)("goarch", config.goarch)
    return config


def _apply_trust(values: dict[str, Any], source: str, root: Path, trusted: bool, *,
                 asked_on_command_line: bool = False) -> list[str]:
    """Resolve a file's paths against ``root`` and drop what an untrusted file may not ask for.

    Returns warnings for the settings that were ignored.
    """
    warnings: list[str] = []
    for key in ("baseline", "cache_dir"):  # paths in a config file are relative to it
        if key not in values:
            continue
        if not values[key].is_absolute():
            values[key] = root / values[key]
        if not trusted and not is_under(real_path(values[key]), real_path(root)):
            name = key.replace("_", "-")
            raise UsageError(f"{source}: {name} {str(values[key])!r} is outside the project {root}; a configuration "
                             f"found in the scanned tree may only name paths inside it (give --{name} on the "
                             "command line, or name the file with --config)")
    if "cache_dir" in values and trusted:
        values["confine_cache"] = False
    contracts = dict(values.get("contracts", {}))
    if SYSTEM_HEADERS in contracts:
        requested = contracts.pop(SYSTEM_HEADERS)
        if not isinstance(requested, bool):
            raise UsageError(f"{source}: [tool.cgoguard.contracts] {SYSTEM_HEADERS} must be true or false")
        if trusted:
            values["system_headers"] = requested
        elif requested and not asked_on_command_line:
            warnings.append(f"{source}: {SYSTEM_HEADERS} = true ignored: it runs the C compiler and pkg-config, which "
                            "a configuration found in the scanned tree may not do; pass --system-headers, or name "
                            "the file with --config, if you trust it")
        values["contracts"] = contracts
    return warnings


def common_start(paths: Iterable[str]) -> Path:
    """The directory to look for configuration from: the common parent of the scanned paths."""
    resolved = []
    for raw in paths:
        path = Path(raw[:-4] if raw.endswith("/...") else ("." if raw == "..." else raw))
        path = path.resolve()
        resolved.append(path if path.is_dir() else path.parent)
    if not resolved:
        return Path.cwd()
    return Path(os.path.commonpath(resolved))
