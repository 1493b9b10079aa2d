"""Facts: what the analysis of one package tells the analyses of the packages importing it.

After go/analysis: an analysis of a package may *export* facts about the package's objects,
and an analysis that *requires* them sees the facts of the packages it imports (here: every
package of the module it imports, directly or not), so that ``cutil.Free(p)`` in one package
frees ``p`` because the summary of ``Free``, computed when ``cutil`` was analysed, says so.

:class:`PackageFacts` is plain data: function summaries keyed by a stable qualified name
(``importpath.Func``, ``importpath.(*T).Method``, ``importpath.T.Method``), the result types
needed to follow a method call on a value an imported function returned, and package-level
facts in a table keyed by :class:`FactType` (extensible: a new analysis registers its own).
It is versioned and round-trips through JSON; reading validates every field, so a damaged or
outdated cache entry is a miss, never a wrong fact.

The engine runs packages in dependency order and hands each the facts of its module imports
(:class:`ImportedFacts`); :data:`ANALYZERS` declares which analyses export which facts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cgoguard.analysis.summaries import FunctionSummary

if TYPE_CHECKING:
    from cgoguard.gofront.package import Package
    from cgoguard.gofront.symbols import FuncInfo

FACTS_VERSION = 1


@dataclass(frozen=True)
class FactType:
    """A kind of package-level fact: a name, and how to check one read back from JSON."""

    name: str
    doc: str
    validate: Callable[[Any], bool]


def _str_to_str(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _str_to_strs(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in value.items())


# Package-level facts (values are JSON: name -> string, or name -> list of strings).
INIT_GLOBALS = FactType(
    "init-globals", "package variables init() assigns, and what (c-owned:DEALLOC, c, go, static, mixed, unknown)",
    _str_to_str)
C_HANDLE_TYPES = FactType(
    "c-handle-types", "struct types and their fields that hold C memory", _str_to_strs)
FACT_TYPES: dict[str, FactType] = {t.name: t for t in (INIT_GLOBALS, C_HANDLE_TYPES)}


@dataclass(frozen=True)
class Analyzer:
    """A module-wide analysis: the facts it exports, and the analyzers whose facts (of this
    package and of its imports) it requires, like go/analysis's FactTypes and Requires."""

    name: str
    exports: tuple[str, ...]  # "function-summaries" or FactType names
    requires: tuple[str, ...] = ()
    # (package, its C contracts, the memo shared with the package's rules) -> exported facts
    run: Callable[[Package, Any, dict[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)


@dataclass
class PackageFacts:
    import_path: str
    functions: dict[str, FunctionSummary] = field(default_factory=dict)
    # function -> its result types, as "T", "*T" (T qualified by its import path) or "" when
    # not a named type of the module: lets `b := cutil.NewBuf(); b.Close()` find Close.
    results: dict[str, tuple[str, ...]] = field(default_factory=dict)
    package: dict[str, Any] = field(default_factory=dict)  # FactType name -> value
    # False when part of the package could not be analysed (a file with syntax errors):
    # functions missing from ``functions`` are then unknown to callers, as before.
    complete: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FACTS_VERSION,
            "import_path": self.import_path,
            "functions": {name: s.to_json() for name, s in sorted(self.functions.items())},
            "results": {name: list(types) for name, types in sorted(self.results.items())},
            "package": {name: self.package[name] for name in sorted(self.package)},
            "complete": self.complete,
        }

    @classmethod
    def from_json(cls, data: Any) -> PackageFacts:
        """Raises ValueError (or KeyError/TypeError) unless ``data`` is facts this version wrote."""
        if not isinstance(data, dict) or data.get("version") != FACTS_VERSION:
            raise ValueError("not facts of this version")
        import_path, functions, results = data["import_path"], data["functions"], data["results"]
        if not isinstance(import_path, str) or not isinstance(functions, dict) or not isinstance(results, dict):
            raise ValueError("malformed facts")
        package = data["package"]
        if not isinstance(package, dict) or any(
                name not in FACT_TYPES or not FACT_TYPES[name].validate(value) for name, value in package.items()):
            raise ValueError("malformed package facts")
        if not all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in results.values()):
            raise ValueError("malformed result types")
        if not isinstance(data["complete"], bool):
            raise ValueError("malformed facts")
        return cls(import_path, {str(name): FunctionSummary.from_json(s) for name, s in functions.items()},
                   {str(name): tuple(v) for name, v in results.items()}, dict(package), data["complete"])

    def digest(self) -> str:
        """A hash of the facts: dependents' cache keys include it (early cut-off: an edit that
        leaves a package's facts unchanged does not invalidate the packages importing it)."""
        blob = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


def function_key(import_path: str, info: FuncInfo) -> str:
    """``importpath.Func``, ``importpath.(*T).Method`` or ``importpath.T.Method``."""
    prefix = f"{import_path}." if import_path else ""
    if not info.receiver_type:
        return f"{prefix}{info.name}"
    if info.pointer_receiver:
        return f"{prefix}(*{info.receiver_type}).{info.name}"
    return f"{prefix}{info.receiver_type}.{info.name}"


class ImportedFacts:
    """The facts of the module packages a package imports, by import path."""

    def __init__(self, packages: Iterable[PackageFacts] = ()) -> None:
        self.packages: dict[str, PackageFacts] = {p.import_path: p for p in packages}

    def __bool__(self) -> bool:
        return bool(self.packages)

    def function(self, import_path: str, name: str) -> tuple[str, FunctionSummary] | None:
        facts = self.packages.get(import_path)
        key = f"{import_path}.{name}"
        summary = facts.functions.get(key) if facts is not None else None
        return (key, summary) if summary is not None else None

    def method(self, type_path: str, method: str) -> tuple[str, FunctionSummary] | None:
        """The method ``method`` of the named type ``type_path`` (``importpath.T``), with a
        pointer or a value receiver (the analysis does not tell addressable values apart)."""
        import_path, _, type_name = type_path.rpartition(".")
        facts = self.packages.get(import_path)
        if facts is None:
            return None
        for key in (f"{import_path}.(*{type_name}).{method}", f"{import_path}.{type_name}.{method}"):
            summary = facts.functions.get(key)
            if summary is not None:
                return key, summary
        return None

    def result_type(self, key: str, index: int) -> str:
        """Result ``index`` of the function ``key`` (a function_key), as PackageFacts.results spells it."""
        owner = max((p for p in self.packages if key.startswith(p + ".")), key=len, default=None)
        types = self.packages[owner].results.get(key, ()) if owner is not None else ()
        return types[index] if index < len(types) else ""

    def package_fact(self, import_path: str, fact: FactType) -> Any:
        facts = self.packages.get(import_path)
        return facts.package.get(fact.name) if facts is not None else None

    def moves_c_memory(self, import_paths: Iterable[str]) -> bool:
        """Whether an exported function or method of one of these packages hands its caller C
        memory to release, or releases C memory the caller passes (so a caller that never
        imports "C" can leak it or free it twice)."""
        return any(s.returns_owned or s.frees or s.frees_fields for path in import_paths
                   if (p := self.packages.get(path)) for key, s in p.functions.items() if _exported(key))


def _exported(key: str) -> bool:
    name = key.rsplit(".", 1)[-1]
    return name[:1].isupper()

