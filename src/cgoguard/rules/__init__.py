"""Rule registry: every ``cgNNN_*.py`` module in this package is one rule."""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from cgoguard.rules.base import REQUIRED_DOC_SECTIONS, Rule, RuleMeta

_RULE_MODULE = re.compile(r"^cg\d{3}_\w+$")


@cache
def all_rules() -> dict[str, Rule]:
    """Rules by id, in id order."""
    rules: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(__path__):
        if not _RULE_MODULE.match(info.name):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        meta: RuleMeta = module.META
        docs = (module.__doc__ or "").strip()
        missing = [s for s in REQUIRED_DOC_SECTIONS if s not in docs]
        if missing:
            raise RuntimeError(f"rule {meta.id} ({info.name}) lacks doc sections {missing}")
        if meta.id in rules:
            raise RuntimeError(f"duplicate rule id {meta.id}")
        rules[meta.id] = Rule(meta=meta, docs=docs, check=module.check)
    return dict(sorted(rules.items()))


def find_rule(key: str) -> Rule | None:
    """Look a rule up by id (``CG101``, case-insensitive) or name (``c-leak``)."""
    rules = all_rules()
    if key.upper() in rules:
        return rules[key.upper()]
    return next((r for r in rules.values() if r.meta.name == key.lower()), None)
