"""Rule registry: every ``cgNNN_*.py`` module in this package is one rule."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from cgoguard.findings import Finding, InputError
from cgoguard.gofront.index import using_index
from cgoguard.gofront.package import Package
from cgoguard.rules.base import REQUIRED_DOC_SECTIONS, Rule, RuleContext, RuleMeta

# Packages importing none of these cannot break a cgo rule; skipping them keeps scans fast.
RELEVANT_IMPORTS = frozenset({"C", "unsafe", "runtime/cgo", "runtime", "syscall", "golang.org/x/sys/unix"})
# Categories about C memory or about Go memory handed to C functions: only packages that
# import "C" can break them. (Writing Go pointers into mmap memory, unsafe conversions,
# pinners and handles concern pure Go packages too.)
CGO_CATEGORIES = frozenset({
    "c-leak", "use-after-free", "double-free", "dangling-reference", "go-pointer-to-go-pointer",
    "c-retains-go-pointer", "go-pointer-returned-to-c", "missing-keepalive", "buffer-overflow",
})

# Categories about C memory changing hands: a package that receives C memory from module
# functions (without importing "C" itself) can break them.
C_MEMORY_CATEGORIES = frozenset({"c-leak", "use-after-free", "double-free", "dangling-reference"})

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


def is_relevant(package: Package) -> bool:
    return _imports_relevant(package) or receives_c_memory(package)


def _imports_relevant(package: Package) -> bool:
    return any(RELEVANT_IMPORTS.intersection(f.imports.values()) for f in package.files)


def receives_c_memory(package: Package) -> bool:
    """Whether the package calls functions of other module packages that hand it C memory to
    release, or release C memory it passes (so it can leak or double-free without importing "C")."""
    facts = package.facts
    return bool(facts) and facts.moves_c_memory({path for f in package.files for path in f.imports.values()})


def check_package(
    package: Package,
    *,
    rule_ids: Iterable[str] | None = None,
    contracts: object = None,
    options: dict[str, Any] | None = None,
    shared: dict[str, Any] | None = None,
) -> list[Finding]:
    """Run the selected rules (all by default) over one loaded package.

    ``shared`` holds analyses of the package already computed (see RuleContext.shared), such
    as the summaries computed for the package's facts.

    A rule that crashes does not stop the others: the crash becomes an input error on the
    package, naming the rule, so users can report it.
    """
    if not is_relevant(package):
        return []
    selected = set(rule_ids) if rule_ids is not None else None
    context = RuleContext(package=package, contracts=contracts, options=options or {},
                          cache=shared if shared is not None else {})
    with using_index(package.syntax_index):
        for rule in _applicable(package, all_rules().values()):
            if selected is None or rule.meta.id in selected:
                _run_rule(rule, context)
    reported = [f for f in context.findings if package.only is None or f.path in package.only]
    return sorted(reported, key=lambda f: f.sort_key)


def _applicable(package: Package, rules: Iterable[Rule]) -> list[Rule]:
    """The rules that can find something in the package, from what it imports: every rule when
    it imports "C"; the others (unsafe, pinners, handles) when it imports one of RELEVANT_IMPORTS;
    the C-memory lifetime rules when functions of module packages hand it C memory."""
    if package.uses_cgo:
        return list(rules)
    imports_relevant = _imports_relevant(package)
    receives = receives_c_memory(package)
    return [r for r in rules if (imports_relevant and r.meta.category not in CGO_CATEGORIES)
            or (receives and r.meta.category in C_MEMORY_CATEGORIES)]


def _run_rule(rule: Rule, context: RuleContext) -> None:
    try:
        rule.check(context)
    except Exception as exc:  # a bug in one rule must not hide the others' findings
        context.package.errors.append(InputError(
            context.package.display_dir, f"internal error in rule {rule.meta.id}: {type(exc).__name__}: {exc}"))
