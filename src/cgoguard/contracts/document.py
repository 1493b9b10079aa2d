"""The contract document of packages: for each C function called from Go, who owns the
result and how to release it, which arguments the call keeps or frees, why we think so, and
where Go calls it. Markdown for reviewers, JSON for tools (its shape is published as
``contracts.schema.json`` next to this module)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cgoguard import __version__
from cgoguard.cfront.model import CFunction, CModel
from cgoguard.contracts.calls import CallSite
from cgoguard.contracts.declarations import returns_pointer
from cgoguard.contracts.model import EVIDENCE_KINDS, Contract, Evidence
from cgoguard.findings import InputError

PRECEDENCE_TEXT = " > ".join(EVIDENCE_KINDS)


@dataclass
class FunctionEntry:
    contract: Contract
    signature: str  # C prototype when the function is declared in parsed C, else ""
    pointer_result: bool | None  # None: the declaration was not parsed
    void_result: bool = False
    call_sites: list[CallSite] = field(default_factory=list)


@dataclass
class PackageDocument:
    display_dir: str
    name: str
    functions: list[FunctionEntry]
    errors: list[InputError] = field(default_factory=list)
    # C types no C in the tree declares, known to be pointers from Go code: name -> evidence.
    inferred_pointers: dict[str, str] = field(default_factory=dict)


def entry_for(name: str, contract: Contract | None, model: CModel, sites: list[CallSite]) -> FunctionEntry:
    function = model.function(name)
    contract = contract or Contract(name)
    if function is None:
        return FunctionEntry(contract, "", None, call_sites=sites)
    pointer = returns_pointer(model, function)
    void = function.return_type == "void" and not function.return_pointer_depth
    return FunctionEntry(contract, signature(function, name), pointer, void_result=void, call_sites=sites)


def signature(function: CFunction, name: str | None = None) -> str:
    params = [f"{'const ' if p.is_const else ''}{p.type} {'*' * p.pointer_depth}{p.name}".strip()
              if not p.is_function_pointer else f"{p.type} (*{p.name})(...)" for p in function.params]
    if function.variadic:
        params.append("...")
    stars = "*" * function.return_pointer_depth
    return f"{function.return_type} {stars}{name or function.name}({', '.join(params) or 'void'})"


# ----- JSON -------------------------------------------------------------------------------
def render_json(documents: list[PackageDocument]) -> str:
    data = {
        "tool": {"name": "cgoguard", "version": __version__},
        "precedence": list(EVIDENCE_KINDS),
        "packages": [{
            "dir": doc.display_dir,
            "name": doc.name,
            "functions": [to_dict(entry) for entry in doc.functions],
            "inferred_pointer_types": [{"type": name, "evidence": evidence}
                                       for name, evidence in sorted(doc.inferred_pointers.items())],
            "errors": [e.to_dict() for e in doc.errors],
        } for doc in documents],
    }
    return json.dumps(data, indent=2) + "\n"


# ----- Markdown ---------------------------------------------------------------------------
def render_markdown(documents: list[PackageDocument]) -> str:
    lines = ["# C ownership contracts", "",
             f"Evidence precedence when sources disagree: {PRECEDENCE_TEXT}. "
             "Overridden evidence is struck through, with the reason.", ""]
    if not documents:
        lines += ["No package that uses cgo was found.", ""]
    for doc in documents:
        lines += _package_section(doc)
    return "\n".join(lines).rstrip("\n") + "\n"


def _package_section(doc: PackageDocument) -> list[str]:
    lines = [f"## Package `{doc.name}` ({_code(doc.display_dir)})", ""]
    if not doc.functions:
        lines += ["The package calls no C function.", ""]
    else:
        known = [e for e in doc.functions if e.contract.is_known]
        nothing_to_own = [e for e in doc.functions if not e.contract.is_known and e.pointer_result is False]
        unknown = [e for e in doc.functions if not e.contract.is_known and e.pointer_result is not False]
        lines += [_overview(doc.functions), ""]
        if known:
            lines += ["| C function | Result | Release with | Frees | Keeps | Confidence | Go calls |",
                      "|---|---|---|---|---|---|---|"]
            lines += [_summary_row(entry) for entry in known]
            lines.append("")
        for entry in known:
            lines += _function_section(entry)
        lines += _short_list("Without a known contract (a pointer result, or a declaration cgoguard did not "
                             "parse): add one under [tool.cgoguard.contracts] if it matters", unknown)
        lines += _short_list("Nothing to own or release (no pointer result, no argument freed or kept)",
                             nothing_to_own)
    if doc.inferred_pointers:
        lines += ["### C types known to be pointers from Go code (no declaration in the tree)", ""]
        lines += [f"- `C.{name}` — *go-usage* {_code(evidence)}" for name, evidence in sorted(doc.inferred_pointers.items())]
        lines.append("")
    if doc.errors:
        lines += ["### Problems reading the package", ""]
        lines += [f"- {_code(e.path)}: {_escape(e.message)}" for e in doc.errors]
        lines.append("")
    return lines


def _short_list(title: str, entries: list[FunctionEntry]) -> list[str]:
    if not entries:
        return []
    lines = [f"### {title}", ""]
    for entry in entries:
        sites = ", ".join(_code(str(s)) for s in entry.call_sites)
        lines.append(f"- `{entry.contract.function}`" + (f" — called from {sites}" if sites else ""))
    return [*lines, ""]


def _overview(entries: list[FunctionEntry]) -> str:
    contracts = [e.contract for e in entries]
    counts = [
        (sum(c.returns == "owned" or bool(c.owned_out_args) for c in contracts),
         "hands the caller memory to release", "hand the caller memory to release"),
        (sum(c.must_not_free_result for c in contracts),
         "returns memory the caller must not free", "return memory the caller must not free"),
        (sum(bool(c.frees_args) for c in contracts), "frees or takes over an argument",
         "free or take over an argument"),
        (sum(bool(c.frees_members - c.frees_args) for c in contracts), "frees what an argument points to",
         "free what an argument points to"),
        (sum(bool(c.retains_args) for c in contracts), "keeps an argument after returning",
         "keep an argument after returning"),
        (sum(not e.contract.is_known and e.pointer_result is not False for e in entries),
         "has no known contract", "have no known contract"),
        (sum(not e.contract.is_known and e.pointer_result is False for e in entries),
         "has nothing to own or release", "have nothing to own or release"),
    ]
    parts = [f"{count} {one if count == 1 else many}" for count, one, many in counts if count]
    functions = "function" if len(entries) == 1 else "functions"
    return f"{len(entries)} C {functions} called" + (": " + "; ".join(parts) + "." if parts else ".")


def _summary_row(entry: FunctionEntry) -> str:
    c = entry.contract
    release = ", ".join(f"`{d}`" for d in _releases(c)) or "—"
    cells = [f"`{c.function}`", _result_word(entry), release, _frees_cell(c), _args(c, c.retains_args),
             c.confidence.value, str(len(entry.call_sites))]
    return "| " + " | ".join(cells) + " |"


def _releases(contract: Contract) -> list[str]:
    found = [contract.deallocator] if contract.returns == "owned" and contract.deallocator else []
    return found + [d for d in contract.owned_out_args.values() if d and d not in found]


def _result_word(entry: FunctionEntry) -> str:
    c = entry.contract
    if c.returns == "borrowed" and c.borrows_from is not None:
        return f"borrowed from {_short_arg(c, c.borrows_from)}"
    if c.returns == "unknown" and c.owned_out_args:
        return "owned, through " + ", ".join(_short_arg(c, i) for i in sorted(c.owned_out_args))
    if c.returns == "unknown" and entry.pointer_result is False:
        return "void" if entry.void_result else "not a pointer"
    if c.returns == "unknown" and entry.pointer_result is None and c.is_known:
        return "—"  # a library function known for what it does to its arguments
    return c.returns


def _frees_cell(contract: Contract) -> str:
    members = [f"members of {_short_arg(contract, i)}" for i in sorted(contract.frees_members - contract.frees_args)]
    return ", ".join([_short_arg(contract, i) for i in sorted(contract.frees_args)] + members) or "—"


def _args(contract: Contract, indexes: frozenset[int]) -> str:
    return ", ".join(_short_arg(contract, i) for i in sorted(indexes)) or "—"


def _short_arg(contract: Contract, index: int) -> str:
    name = contract.params[index] if index < len(contract.params) else ""
    return f"`{name}`" if name else f"arg {index}"


def _function_section(entry: FunctionEntry) -> list[str]:
    c = entry.contract
    lines = [f"### `{c.function}`", ""]
    if entry.signature:
        where = f" — declared at {_code(c.declared_at)}" if c.declared_at else ""
        lines += [f"{_code(entry.signature)}{where}", ""]
    lines.append(f"- **Result:** {_result_sentence(entry)}")
    for index, dealloc in sorted(c.owned_out_args.items()):
        how = f"release it with `{dealloc}`" if dealloc else "how to release it is unknown"
        lines.append(f"- **Output:** hands back an owned object through {_arg_label(c, index)}; {how}.")
    for index in sorted(c.frees_args):
        lines.append(f"- **Frees:** {_arg_label(c, index)}: the caller must not use or free it afterwards.")
    for index in sorted(c.frees_members - c.frees_args):
        lines.append(f"- **Frees members:** what {_arg_label(c, index)} points to (its fields or elements); "
                     "the argument itself stays the caller's.")
    for index in sorted(c.retains_args):
        lines.append(f"- **Keeps:** {_arg_label(c, index)} after returning: it must stay valid "
                     "(and must not be Go memory).")
    for index in sorted(c.string_args):
        lines.append(f"- **Reads a C string:** {_arg_label(c, index)} up to its NUL: pass `C.CString` "
                     "or Go data that ends in 0.")
    lines.append(f"- **Confidence:** {c.confidence.value}")
    lines.append("")
    if c.evidence:
        lines += ["Evidence:", ""]
        lines += [_evidence_line(e) for e in c.evidence]
        lines.append("")
    if entry.call_sites:
        lines += ["Called from: " + ", ".join(_code(str(s)) for s in entry.call_sites), ""]
    return lines


def _arg_label(contract: Contract, index: int) -> str:
    name = contract.params[index] if index < len(contract.params) else ""
    return f"`{name}` (arg {index})" if name else f"arg {index}"


def _result_sentence(entry: FunctionEntry) -> str:
    c = entry.contract
    if c.returns == "owned":
        how = f"release it with `{c.deallocator}`" if c.deallocator else "how to release it is unknown"
        return f"owned by the caller; {how}."
    if c.returns == "borrowed":
        if c.borrows_from is not None:
            owner = _short_arg(c, c.borrows_from)
            return f"borrowed from {_arg_label(c, c.borrows_from)}; valid only while {owner} is; never free it."
        return "borrowed (owned by the library); never free it."
    if c.returns == "static":
        return "static storage; never free it."
    if entry.pointer_result is False:
        return "none (void)." if entry.void_result else "not a pointer."
    if entry.pointer_result is None:
        return "no ownership fact (the contract is about its arguments)."
    return "unknown: no evidence says who owns it."


def _evidence_line(evidence: Evidence) -> str:
    location = (f"[{_link_title(evidence.location)}]({evidence.location})" if evidence.location.startswith("http")
                else _code(evidence.location))
    text = f": {_code(evidence.text)}" if evidence.text and evidence.kind in ("body", "attribute", "go-usage", "naming") else (
        f": “{_escape(evidence.text)}”" if evidence.text else "")
    deep = f" (through {evidence.depth} bodies of vendored C)" if evidence.depth > 1 else ""
    body = f"*{evidence.kind}* {location} — {_escape(evidence.fact)}{text}{deep}"
    if not evidence.overridden:
        return f"- {body}"
    return f"- ~~{body}~~ (overridden{': ' + _escape(evidence.note) if evidence.note else ''})"


def _link_title(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail or url


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;").replace(">", "&gt;")


def to_dict(entry: FunctionEntry) -> dict[str, Any]:
    return {**entry.contract.to_dict(), "signature": entry.signature,
            "call_sites": [{"path": s.path, "line": s.line, "column": s.column} for s in entry.call_sites]}
