"""``--show-config``: the configuration file in force and every value a scan would use.

Printed as TOML that could be pasted into ``[tool.cgoguard]``, after comments naming the file
it came from and the project root, and followed by the rules the selection resolves to, so
a user can see at once why a rule does or does not run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cgoguard import rules as registry
from cgoguard.scan.config import ScanConfig
from cgoguard.scan.selection import select_rules

# TOML key -> ScanConfig field, in the order the configuration docs list them.
_SHOWN = (
    ("select", "select"), ("ignore", "ignore"), ("per-file-ignores", "per_file_ignores"),
    ("severity", "severity"), ("fail-on", "fail_on"), ("tags", "tags"), ("goos", "goos"),
    ("goarch", "goarch"), ("tests", "tests"), ("generated", "generated"), ("exclude", "exclude"),
    ("baseline", "baseline"), ("jobs", "jobs"), ("cache", "use_cache"), ("cache-dir", "cache_dir"),
)


_TABLES = ("severity", "per_file_ignores")


def render_config(config: ScanConfig) -> str:
    source = str(config.config_path) if config.config_path else "none found (defaults)"
    lines = [f"# configuration file: {source}", f"# project root: {config.root}", "[tool.cgoguard]"]
    for key, field_name in _SHOWN:
        value = getattr(config, field_name)
        if field_name == "cache_dir":
            value = config.effective_cache_dir
        elif field_name in _TABLES:
            value = {str(k): v for k, v in value}
        lines.append(f"{key} = {_toml(value)}" if value is not None else f"# {key} = (not set)")
    if config.contracts:
        lines += ["", "[tool.cgoguard.contracts]"]
        lines += [f"{json.dumps(name)} = {_toml(spec)}" for name, spec in config.contracts.items()]
    selection = select_rules(config)
    rules = registry.all_rules()
    lines += ["", f"# rules in force ({len(selection.ids)} of {len(rules)}):"]
    for rule_id in sorted(selection.ids):
        meta = rules[rule_id].meta
        level = selection.severity.get(rule_id, meta.severity).value
        lines.append(f"#   {rule_id}  {meta.name}  ({level})")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(str(value))
