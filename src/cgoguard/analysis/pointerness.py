"""Does the memory the runtime checks hold unpinned Go pointers? Following cgo exactly.

cmd/cgo decides per argument *whether* the runtime checks it (``needsPointerCheck``: the C
parameter type must be a pointer to something that may hold a pointer; ``void *`` always
is) and *what* it checks (``checkIndex``/``checkAddr``/``checkSlice``, looking through type
conversions and ``unsafe.SliceData``):

* ``&x[i]`` — the whole array or slice backing array ``x``;
* ``&x`` and ``&x.f`` — just the addressed variable or field;
* ``x[i:j]`` — just that slice;
* anything else — the whole Go allocation the pointer points into; a pointer into a Go
  package variable that holds pointers always fails (the runtime cannot tell its extent);
* ``unsafe.StringData`` results are never checked.

Inside the checked memory, any Go pointer (pointer, slice, string data, closure, interface
data) to unpinned Go memory is an error, and maps and channels always are. Strings and
functions in read-only data are not Go pointers to the runtime, so they pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node

from cgoguard.analysis.memory import FunctionMemory, Leaf, Obj, Origin, Value
from cgoguard.cfront.model import CModel, CParam
from cgoguard.gofront.syntax import (
    c_name,
    call_parts,
    nodes_of_type,
    parameter_names,
    receiver_type_name,
    text,
    unparen,
)
from cgoguard.gofront.types import GoType

_GO_SCALAR_TYPES = frozenset(
    "bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string "
    "uint uint8 uint16 uint32 uint64 uintptr".split())
_TYPE_LITERALS = frozenset({"array_type", "slice_type", "struct_type", "function_type", "interface_type",
                            "map_type", "channel_type", "implicit_length_array_type"})
_CAN_NEVER_PIN = frozenset({"map", "chan"})
# C spellings of pointer-free types (as they appear in C declarations).
_C_SCALAR_WORDS = frozenset("char short int long float double signed unsigned _Bool bool".split())
_C_SCALAR_NAMES = frozenset(
    "size_t ssize_t uintptr_t intptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t "
    "ptrdiff_t off_t wchar_t".split())


class CheckMode(StrEnum):
    ELEMENT = "element"  # &x, &x.f: only the addressed memory
    ARRAY = "array"  # &x[i]: the whole array / backing array
    SLICE = "slice"  # x[i:j]: that slice
    OBJECT = "object"  # anything else: the whole allocation


@dataclass(frozen=True)
class Checked:
    """The memory the runtime checks for one argument."""

    mode: CheckMode
    obj: Obj
    region: tuple[str, ...]
    value: Value  # the argument's (stripped) value, for messages


@dataclass(frozen=True)
class Violation:
    """A Go pointer where the rules forbid one."""

    slot: str  # "field p", "element [1]", "the variable itself"
    what: str  # "a Go pointer to new(C.int) (line 12)"
    kind: str  # pointer | slice | string | map | chan | func | iface | global
    node: Node | None  # where the offending value was stored, when known
    slot_type: str = ""  # the slot's declared type, when known
    allocated: Node | None = None  # where the Go memory the pointer refers to comes from
    assumed: Obj | None = None  # Go memory known only from this parameter's or field's static type

    def sites(self) -> list[tuple[Node, str]]:
        """Secondary locations for the finding: where the pointer was stored and allocated."""
        found: list[tuple[Node, str]] = []
        if self.node is not None:
            found.append((self.node, "the Go pointer is stored here"))
        if self.allocated is not None and (self.node is None or self.allocated.start_point[0] != self.node.start_point[0]):
            found.append((self.allocated, "the Go memory it points to is allocated here"))
        return found

    def place(self, container: str) -> str:
        """``field data (type *C.char) of <container>``, or the container itself."""
        typed = f" (type {self.slot_type})" if self.slot_type else ""
        if self.slot == "the value itself":
            return f"{container}{typed}"
        return f"{self.slot}{typed} of {container}"


# ----- C types --------------------------------------------------------------------------
def c_type_has_pointers(model: CModel, type_name: str, depth: int = 0) -> bool:
    """Whether a C type (by value) holds a pointer: pointer members, nested records, typedefs."""
    if depth > 16:
        return False
    if model.is_pointer_type(type_name):
        return True
    record = model.record(_cgo_name(type_name))
    if record is None:
        typedef = model.typedefs.get(type_name)
        return typedef is not None and c_type_has_pointers(model, typedef.type, depth + 1)
    return any(member.is_pointer or c_type_has_pointers(model, member.type, depth + 1)
               for member in record.members)


def c_param_is_checked(model: CModel, param: CParam) -> bool:
    """cgo's ``needsPointerCheck`` for a declared C parameter.

    A pointer to a type the model cannot see (a struct from a system header, an opaque
    typedef) counts as checked: a rule still needs a Go pointer stored in the memory to
    report, and such a store proves the type holds pointers.
    """
    depth, base = param.pointer_depth, param.type
    if param.is_function_pointer:
        return False
    typedef_depth, base = _resolve_typedef_pointers(model, base)
    depth += typedef_depth
    if depth == 0:
        return False  # by-value parameters are not pointer-checked as a whole
    if depth >= 2 or base == "void":
        return True
    if _is_c_scalar(base):
        return False
    if model.record(_cgo_name(base)) is None and base not in model.typedefs:
        return True
    return c_type_has_pointers(model, base)


def _is_c_scalar(name: str) -> bool:
    words = name.replace("const ", "").replace("volatile ", "").split()
    return bool(words) and (all(w in _C_SCALAR_WORDS for w in words) or name in _C_SCALAR_NAMES)


def _cgo_name(c_type: str) -> str:
    """``struct foo`` -> ``struct_foo`` (the name cgo gives it)."""
    return c_type.replace("struct ", "struct_").replace("union ", "union_")


def _resolve_typedef_pointers(model: CModel, base: str) -> tuple[int, str]:
    depth = 0
    for _ in range(16):
        typedef = model.typedefs.get(base)
        if typedef is None or (typedef.type.startswith(("struct ", "union ")) and not typedef.pointer_depth):
            break
        depth += typedef.pointer_depth
        base = typedef.type
    return depth, base


# ----- Go types -------------------------------------------------------------------------
def go_type_has_pointers(memory: FunctionMemory, t: GoType, depth: int = 0, *, definite: bool = False) -> bool:
    """Whether values of a Go type can hold pointers (``uintptr`` cannot).

    Types the model cannot see (declared in other packages) count as holding pointers,
    unless ``definite`` asks for proof.
    """
    t = memory.types.underlying(t)
    if depth > 16:
        return True
    match t.kind:
        case "basic":
            return t.name in ("string", "error", "any")
        case "pointer" | "unsafe-pointer" | "slice" | "map" | "chan" | "func" | "interface":
            return True
        case "array":
            return t.elem is not None and go_type_has_pointers(memory, t.elem, depth + 1, definite=definite)
        case "struct":
            return any(go_type_has_pointers(memory, ft, depth + 1, definite=definite) for _, ft in t.fields)
        case "c":
            return c_type_has_pointers(memory.package.c, t.name)
        case "named":
            return not definite  # declared in another package
    return False


def global_holds_pointers(memory: FunctionMemory, obj: Obj) -> bool:
    """A package variable whose type has pointers lives in data/bss, which the runtime rejects."""
    return go_type_has_pointers(memory, memory.types.var_type(obj.name), definite=True)


# ----- what the runtime checks -------------------------------------------------------------
def strip_conversions(memory: FunctionMemory, arg: Node) -> tuple[Node, bool]:
    """Look through type conversions and unsafe.SliceData as cgo does.

    Returns the inner expression and whether an ``unsafe.StringData`` call was seen (such
    arguments are never checked).
    """
    node = unparen(arg) or arg
    while node.type in ("call_expression", "type_conversion_expression"):
        if node.type == "type_conversion_expression":
            if not _cgo_is_type(memory, node.child_by_field_name("type")):
                break
            inner = node.child_by_field_name("operand")
        else:
            func, args = call_parts(node)
            if len(args) != 1 or func is None:
                break
            qualified = text(unparen(func))
            if qualified == "unsafe.StringData" and not memory.types.is_local("unsafe"):
                return node, True
            if qualified != "unsafe.SliceData" and not _cgo_is_type(memory, func):
                break
            inner = args[0]
        node = unparen(inner) or inner
    return node, False


def _cgo_is_type(memory: FunctionMemory, node: Node | None) -> bool:
    """cgo's conservative ``isType``: package-local named types do not count."""
    node = unparen(node)
    if node is None:
        return False
    if node.type == "pointer_type":
        return _cgo_is_type(memory, node.named_children[-1] if node.named_children else None)
    if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "*":
        return _cgo_is_type(memory, node.child_by_field_name("operand"))
    if node.type in _TYPE_LITERALS:
        return True
    if node.type in ("qualified_type", "selector_expression"):
        name = c_name(node)
        if name is not None:
            return memory.package.c.function(name) is None  # C.T names a type, C.f a function
        return text(node) == "unsafe.Pointer"
    if node.type in ("identifier", "type_identifier"):
        return text(node) in _GO_SCALAR_TYPES
    return False


def checked_memory(memory: FunctionMemory, arg: Node, at: int) -> Checked | None:
    """What the runtime checks for a pointer-checked argument, or None when nothing provable."""
    inner, string_data = strip_conversions(memory, arg)
    if string_data:
        return None
    if inner.type == "unary_expression" and text(inner.child_by_field_name("operator")) == "&":
        operand = unparen(inner.child_by_field_name("operand"))
        if operand is not None and operand.type == "index_expression":
            return _checked_array(memory, operand, inner, at)
        value = memory.eval(inner, at)
        return _checked(CheckMode.ELEMENT, value)
    value = memory.eval(inner, at)
    if inner.type == "slice_expression":
        return _checked(CheckMode.SLICE, value)
    if value.obj is None or value.origin not in (Origin.GO, Origin.GLOBAL):
        return None
    return Checked(CheckMode.OBJECT, value.obj, (), value)


def _checked(mode: CheckMode, value: Value) -> Checked | None:
    if value.obj is None or value.origin not in (Origin.GO, Origin.GLOBAL):
        return None
    return Checked(mode, value.obj, value.path, value)


def _checked_array(memory: FunctionMemory, index: Node, address: Node, at: int) -> Checked | None:
    operand = index.child_by_field_name("operand")
    operand_type = memory.type_of(operand)
    if operand_type.kind in ("slice", "pointer"):
        base = memory.eval(operand, at)
    elif operand_type.kind == "array":
        found = memory.address_of(operand, at)
        base = Value(found.origin, found.obj, found.path)
    else:
        return None
    if base.obj is None or base.origin not in (Origin.GO, Origin.GLOBAL):
        return None
    return Checked(CheckMode.ARRAY, base.obj, base.path, memory.eval(address, at))


def argument_violation(memory: FunctionMemory, checked: Checked, run_at: int) -> Violation | None:
    """The first unpinned Go pointer in the checked memory as the call runs at ``run_at``."""
    if checked.obj.kind == "global" and checked.mode is CheckMode.OBJECT:
        if global_holds_pointers(memory, checked.obj):
            return Violation("the pointer itself", f"an address inside {checked.obj.describe()}, which "
                             "holds pointers (the runtime cannot tell where that variable ends)", "global", None)
        return None
    for leaf in memory.contents(checked.obj, checked.region, run_at):
        found = leaf_violation(memory, leaf, run_at, shallow=checked.mode is CheckMode.OBJECT)
        if found is not None:
            return with_slot_type(memory, found, checked.obj, leaf.path)
    return None


def with_slot_type(memory: FunctionMemory, violation: Violation, obj: Obj, path: tuple[str, ...]) -> Violation:
    """Name the slot's declared type in the description (``field data (*C.char)``)."""
    slot_type = memory.slot_type(obj, path)
    if slot_type is None:
        return violation
    return Violation(violation.slot, violation.what, violation.kind, violation.node, str(slot_type),
                     violation.allocated, violation.assumed)


def leaf_violation(memory: FunctionMemory, leaf: Leaf, at: int, *, shallow: bool) -> Violation | None:
    """Whether one stored value is a Go pointer the rules forbid there.

    ``shallow``: the runtime only asks whether each pointer is pinned (a scan of a whole heap
    object, or a pointer write). Otherwise (``cgoCheckArg`` on checked memory or a result)
    a pointer into a package variable that holds pointers fails, and a pinned pointer is
    followed one level: the object it points to must not hold unpinned Go pointers.
    """
    value = leaf.value
    node = leaf.store.stmt if leaf.store is not None else None
    if value.origin is Origin.GLOBAL and value.obj is not None and value.form != "aggregate":
        if shallow or not global_holds_pointers(memory, value.obj):
            return None
        return Violation(describe_slot(leaf.path), f"a pointer into {value.obj.describe()}, which holds "
                         "pointers (the runtime cannot tell where that variable ends)", "global", node)
    if value.origin is not Origin.GO or value.form == "aggregate" or value.obj is None:
        return None
    allocated = memory.site_of(value.obj)
    if value.form in _CAN_NEVER_PIN or not memory.is_pinned(value, at):
        return Violation(describe_slot(leaf.path), describe_value(value), value.form, node, allocated=allocated,
                         assumed=value.obj if value.obj.assumed else None)
    if shallow or value.form != "pointer":
        return None
    for inner in memory.contents(value.obj, (), at):
        found = leaf_violation(memory, inner, at, shallow=True)
        if found is not None:
            what = f"{describe_value(value)}, pinned, but its {found.slot} holds {found.what}"
            return Violation(describe_slot(leaf.path), what, found.kind, found.node, allocated=found.allocated,
                             assumed=found.assumed)
    return None


def value_violation(memory: FunctionMemory, value: Value, at: int) -> Violation | None:
    """Whether a value (a returned or stored one) is or holds an unpinned Go pointer."""
    if value.form == "aggregate":
        if value.obj is None or value.origin not in (Origin.GO, Origin.GLOBAL):
            return None
        for leaf in memory.contents(value.obj, value.path, value.at):
            rebased = Leaf(leaf.path[len(value.path):], leaf.value, leaf.store)
            found = leaf_violation(memory, rebased, at, shallow=False)
            if found is not None:
                return found
        return None
    return leaf_violation(memory, Leaf((), value, None), at, shallow=False)


def describe_slot(path: tuple[str, ...]) -> str:
    if not path:
        return "the value itself"
    rendered = "".join(step if step.startswith("[") else f".{step}" for step in path).lstrip(".")
    rendered = rendered.replace("[]", "[i]")
    return f"element {rendered}" if path[0].startswith("[") else f"field {rendered}"


def describe_value(value: Value) -> str:
    noun = {"pointer": "a Go pointer", "slice": "a Go slice", "string": "a Go string (heap data)",
            "map": "a Go map", "chan": "a Go channel", "func": "a Go closure",
            "iface": "a Go interface value"}.get(value.form, "a Go pointer")
    if value.obj is None:
        return noun
    if value.form == "pointer":
        return f"{noun} to {value.obj.describe()}"
    return f"{noun} from {value.obj.describe()}"


# ----- C calls ------------------------------------------------------------------------------
_CGO_HELPERS = frozenset({"CString", "CBytes", "GoString", "GoStringN", "GoBytes"})


@dataclass(frozen=True)
class CCall:
    node: Node
    name: str
    args: list[Node]


def c_calls(memory: FunctionMemory) -> list[CCall]:
    """Calls of C functions in the function (cgo helpers and C type conversions excluded);
    computed once per function for the rules and analyses that ask."""
    found = memory.call_lists.get("C")
    if found is None:
        found = memory.call_lists["C"] = _find_c_calls(memory)
    return found


def _find_c_calls(memory: FunctionMemory) -> list[CCall]:
    calls: list[CCall] = []
    model = memory.package.c
    for node in nodes_of_type(memory.func, "call_expression"):
        func, args = call_parts(node)
        name = c_name(func)
        if name is None or name in _CGO_HELPERS:
            continue
        if model.function(name) is None and (memory.names_c_type(name) or name.startswith("sizeof_")):
            continue
        calls.append(CCall(node, name, args))
    return calls


def argument_is_checked(memory: FunctionMemory, call: CCall, index: int) -> bool:
    """Whether cgo inserts a pointer check for argument ``index`` of ``call``."""
    arg = unparen(call.args[index])
    if arg is not None and arg.type == "nil":
        return False
    function = memory.package.c.function(call.name)
    if function is not None and index < len(function.params):
        return c_param_is_checked(memory.package.c, function.params[index])
    # No declaration the scanner can see: judge from the Go type of the argument.
    arg_type = memory.type_of(call.args[index])
    if arg_type.kind == "unsafe-pointer":
        return True
    if arg_type.kind == "pointer" and arg_type.elem is not None:
        return go_type_has_pointers(memory, arg_type.elem)
    return False


# ----- Go wrappers around C calls ------------------------------------------------------------
@dataclass(frozen=True)
class Forward:
    """Parameter ``param`` of a Go function reaches argument ``index`` of a C call unchanged."""

    callee: str  # the Go function: ``name`` or ``Type.name``
    param: int
    call: CCall
    index: int
    memory: FunctionMemory  # the wrapper's

    @property
    def line(self) -> int:
        return self.call.node.start_point[0] + 1


def forwarded_parameters(memories: list[FunctionMemory]) -> dict[str, list[Forward]]:
    """Package functions and methods that hand a parameter straight to C (``func send(p
    unsafe.Pointer) { C.send(p) }``), keyed ``name`` or ``Type.name``, so that callers can be
    judged by what they pass."""
    forwards: dict[str, list[Forward]] = {}
    for memory in memories:
        key = callee_key(memory.func)
        params = parameter_names(memory.func)
        for call in c_calls(memory):
            for index, arg in enumerate(call.args):
                param = _unchanged_parameter(memory, arg, params, call.node.start_byte)
                if param is not None:
                    forwards.setdefault(key, []).append(Forward(key, param, call, index, memory))
    return forwards


def callee_key(func: Node) -> str:
    """``Type.Method`` or ``Func``: how calls name a declared function."""
    name = text(func.child_by_field_name("name"))
    if func.type != "method_declaration" or func.child_by_field_name("receiver") is None:
        return name
    return f"{receiver_type_name(func)}.{name}"


def _unchanged_parameter(memory: FunctionMemory, arg: Node, params: list[str], at: int) -> int | None:
    inner, string_data = strip_conversions(memory, arg)
    if string_data or inner.type != "identifier" or text(inner) not in params:
        return None
    storage = memory.storage_of(inner)
    if storage is None or any(store.pos <= at for _, store in memory.stores_into(storage)):
        return None  # reassigned before the call
    return params.index(text(inner))


def forwarding_calls(memory: FunctionMemory, forwards: dict[str, list[Forward]]) -> list[tuple[Node, Node, Forward]]:
    """(call, argument, forward) for every call of a forwarding package function or method."""
    found: list[tuple[Node, Node, Forward]] = []
    for node, key in package_calls(memory):
        _, args = call_parts(node)
        for forward in forwards.get(key, []):
            if forward.param < len(args):
                found.append((node, args[forward.param], forward))
    return found


def package_calls(memory: FunctionMemory) -> list[tuple[Node, str]]:
    """(call, ``name`` or ``Type.name``) for the calls of package functions and methods;
    computed once per function (resolving a method's receiver type is not free)."""
    found = memory.call_lists.get("package")
    if found is None:
        found = memory.call_lists["package"] = [
            (node, key) for node in nodes_of_type(memory.func, "call_expression")
            if (key := _called_key(memory, unparen(node.child_by_field_name("function")))) is not None]
    return found


def _called_key(memory: FunctionMemory, func: Node | None) -> str | None:
    """``name`` for a call of a package function, ``Type.name`` for a method call."""
    if func is None:
        return None
    if func.type == "identifier":
        return None if memory.types.is_local(text(func)) else text(func)
    if func.type != "selector_expression":
        return None
    receiver = memory.types.type_of(func.child_by_field_name("operand"))  # the named type, not its struct
    if receiver.kind == "pointer" and receiver.elem is not None:
        receiver = receiver.elem
    if receiver.kind != "named" or "." in receiver.name:
        return None
    return f"{receiver.name}.{text(func.child_by_field_name('field'))}"


# ----- Go memory known from static types ------------------------------------------------------
@dataclass(frozen=True)
class CallIndex:
    """Who calls which package function, and which functions run under a caller's pins.

    A parameter or field whose static type makes it Go memory (``o *Owner``) may have been
    pinned by the code that passes it. The rules do not guess: when the function itself or a
    package function calling it uses ``runtime.Pinner``, such values are left alone; otherwise
    they are reported with medium confidence, asking to pin where the value is passed.
    """

    callers: dict[str, list[FunctionMemory]]
    sheltered: frozenset[str]  # keys of functions that pin, or whose in-package callers pin

    def under_pins(self, memory: FunctionMemory) -> bool:
        return callee_key(memory.func) in self.sheltered

    def has_callers(self, memory: FunctionMemory) -> bool:
        return bool(self.callers.get(callee_key(memory.func)))


def call_index(memories: list[FunctionMemory]) -> CallIndex:
    callers: dict[str, list[FunctionMemory]] = {}
    sheltered: set[str] = set()
    for memory in memories:
        pins = bool(memory.pins)
        if pins:
            sheltered.add(callee_key(memory.func))
        for _, key in package_calls(memory):
            callers.setdefault(key, []).append(memory)
            if pins:
                sheltered.add(key)
    return CallIndex(callers, frozenset(sheltered))


def assumption_note(obj: Obj) -> str:
    """Why a value known only from its type is reported, and what to do when that is wrong."""
    return (f" ({obj.name} is a {obj.type_name}, so it points to Go memory unless it is nil; if the code "
            f"that passes it pins it, pin it here instead, where the pointer is handed to C)")
