"""What a C function body does with memory, summarised once and re-read during the fixpoint.

A body is walked a single time into a :class:`BodySummary`: where each returned value comes
from, which parameters are handed to which callees (and at which argument position), which
parameters are stored somewhere that outlives the call, which allocations are written
through out-parameters, which members of parameters are handed on and left dangling
(``free(p->key)``: the members are freed, not ``p``), and which parameters travel with a
destructor (``sqlite3_bind_text(stmt, i, p, n, free)``: whoever calls ``free`` later owns
``p``). Turning a summary into facts needs the callees' current contracts, so
:func:`cgoguard.contracts.bodyfacts.body_facts` is cheap and re-run until the call graph
reaches a fixpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from cgoguard.cfront.model import CFunction, CModel
from cgoguard.contracts.declarations import is_pointer_param, returns_pointer
from cgoguard.contracts.strings import text_params

_TEXT_LIMIT = 120
_MAX_ORIGIN_ROUNDS = 32
_NULLS = frozenset({"NULL", "nullptr", "0"})
_LENGTH_FUNCTIONS = frozenset({"strlen", "strnlen", "wcslen"})
_CLEARING = ("memset", "bzero")  # also ZSTD_memset, explicit_bzero
# Not "destroy": LXC's `c->destroy(c)` deletes a container from disk and leaves c allocated.
_RELEASING_FIELDS = frozenset({"free", "release", "dispose", "unref", "dealloc", "deallocate"})


@dataclass(frozen=True)
class Origin:
    """Where a pointer value may come from."""

    kind: str  # call | param | param_member | static | unknown
    name: str = ""  # the callee of a call
    index: int = -1  # the parameter of param / param_member
    # For a call: which of our parameters each argument is (-1: something else), so a
    # result the callee borrows from its argument N maps to our parameter, or to nothing.
    args: tuple[int, ...] = ()


UNKNOWN = Origin("unknown")
STATIC = Origin("static")


@dataclass(frozen=True)
class Site:
    location: str
    text: str


@dataclass(frozen=True)
class ArgPass:
    """``callee(..., param, ...)``: parameter ``param`` passed as the callee's argument ``position``."""

    callee: str
    position: int
    param: int
    site: Site
    literals: tuple[tuple[int, str], ...] = ()  # the call's string literal arguments (a printf format)


@dataclass(frozen=True)
class MemberPass:
    """``callee(..., p->key, ...)``: a member or element of parameter ``param`` passed at ``position``."""

    callee: str
    position: int
    param: int
    site: Site
    member: str = ""  # the expression's text without spaces (`p->buf`); "" when read into a local first


@dataclass(frozen=True)
class HandOff:
    """``callee(..., param, ..., free)``: parameter ``param`` passed along with a function that
    may be its destructor (``sqlite3_bind_text(stmt, i, p, n, free)``)."""

    callee: str
    param: int
    destructor: str
    site: Site


@dataclass(frozen=True)
class Store:
    """Parameter ``param`` stored where it outlives the call.

    ``into`` is ``global`` (a global/static or a structure reachable from one), ``argument``
    (a structure another parameter points to) or ``allocation`` (an object this function
    allocates with one of ``allocators`` and hands back to its caller).
    """

    param: int
    into: str
    site: Site
    allocators: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutWrite:
    """``*param = <value>``: an object handed back through a pointer-to-pointer parameter."""

    param: int
    origin: Origin
    site: Site


@dataclass
class BodySummary:
    function: str
    # Defined in C compiled with the package (a vendored library), not in a Go file's preamble.
    vendored: bool = False
    returns: list[tuple[Origin, Site]] = field(default_factory=list)
    passes: list[ArgPass] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    outs: list[OutWrite] = field(default_factory=list)
    # Members left dangling (not reset afterwards): `free(p->key)`, `free(v[i])`.
    member_passes: list[MemberPass] = field(default_factory=list)
    hand_offs: list[HandOff] = field(default_factory=list)
    # `b->release(b)`, `ops->free(p)`: a parameter handed to a function pointer named like a release.
    indirect_releases: list[ArgPass] = field(default_factory=list)
    # Parameters handed to any call, including through function pointers (`ops->free(p)`).
    passed_params: set[int] = field(default_factory=set)
    # Parameters that can point to text (`char *`, `void *`): the only ones read as C strings.
    text_params: frozenset[int] = frozenset()

    @property
    def callees(self) -> set[str]:
        return ({o.name for o, _ in self.returns if o.kind == "call"} | {p.callee for p in self.passes}
                | {w.origin.name for w in self.outs if w.origin.kind == "call"}
                | {p.callee for p in self.member_passes} | {h.destructor for h in self.hand_offs})


class _BodyReader:
    def __init__(self, model: CModel, function: CFunction) -> None:
        self.model = model
        self.function = function
        self.unit = function.unit
        self.params = {p.name: i for i, p in enumerate(function.params) if p.name}
        self.pointer_params = {i for i, p in enumerate(function.params) if is_pointer_param(model, p)}
        self.assigned: dict[str, list[Node | None]] = {}  # None: a value we cannot follow
        self.static_locals: set[str] = set()
        self.scalar_locals: set[str] = set()  # declared without a pointer type (`int n`, `size_t len`)
        # Members given a new value or cleared (`p->buf = NULL`, `memset(&p->dict, 0, n)`), by
        # parameter: freeing their old value is upkeep, the struct stays consistent.
        self.reset_members: dict[int, set[str]] = {}
        self.reset_params: set[int] = set()  # `memset(p, 0, sizeof *p)`: every member
        self.handed_back: set[str] = set()
        self._origin_memo: dict[str, list[Origin]] = {}  # solved origins of assigned names
        self.summary = BodySummary(function.name, text_params=text_params(model, function),
                                   vendored=not (function.unit.is_preamble or function.unit.is_system))
        self.returns_pointer = returns_pointer(model, function)

    # ----- the walk ---------------------------------------------------------------------
    def read(self, body: Node) -> BodySummary:
        nodes = list(_walk(body))
        for node in nodes:
            if node.type == "declaration":
                self._declare_locals(node)
        for node in nodes:
            if node.type == "assignment_expression" and _operator(node) == "=":
                left = _strip(node.child_by_field_name("left"))
                name = self.unit.text(left) if left is not None and left.type == "identifier" else ""
                if name in self.assigned or name in self.params:
                    self.assigned.setdefault(name, []).append(node.child_by_field_name("right"))
                elif left is not None and self._out_param(left) is not None:
                    self._note_handed_back(node.child_by_field_name("right"))
            elif node.type == "return_statement" and node.named_children:
                self._note_handed_back(node.named_children[0])
        self._solve_origins()
        for node in nodes:
            if node.type == "return_statement" and node.named_children and self.returns_pointer:
                origin = self.origins(node.named_children[0])
                self.summary.returns += [(o, self._site(node)) for o in origin]
            elif node.type == "call_expression":
                self._read_call(node)
            elif node.type == "assignment_expression" and _operator(node) == "=":
                self._read_assignment(node)
        self.summary.member_passes = [m for m in self.summary.member_passes if not self._was_reset(m)]
        return self.summary

    def _note_reset(self, target: Node) -> None:
        """``p->buf = ...`` or ``memset(&p->dict, ...)`` / ``memset(p, ...)``."""
        target = _strip(target)
        if target is not None and target.type == "pointer_expression" and _operator(target) == "&":
            target = _strip(target.child_by_field_name("argument"))
        root = _root(target)
        index = self.params.get(self.unit.text(root)) if root is not None else None
        if index is None or target is None:
            return
        if target.type == "identifier":
            self.reset_params.add(index)
        else:
            self.reset_members.setdefault(index, set()).add(_compact(self.unit.text(target)))

    def _was_reset(self, item: MemberPass) -> bool:
        if item.param in self.reset_params:
            return True
        reset = self.reset_members.get(item.param, set())
        if not item.member:  # read into a local first: which member is unknown
            return bool(reset)
        return any(item.member == r or item.member.startswith((r + "->", r + ".", r + "[")) for r in reset)

    def _note_handed_back(self, expr: Node | None) -> None:
        """A local returned or written through an out-parameter outlives the call."""
        expr = _strip(expr)
        if expr is not None and expr.type == "identifier":
            self.handed_back.add(self.unit.text(expr))

    def _declare_locals(self, node: Node) -> None:
        is_static = any(c.type == "storage_class_specifier" and self.unit.text(c) == "static" for c in node.children)
        type_node = node.child_by_field_name("type")
        pointer_type = type_node is None or self.model.is_pointer_type(self.unit.text(type_node))
        for declarator in node.children_by_field_name("declarator"):
            name_node, is_array = _declared_name(declarator)
            if name_node is None:
                continue
            name = self.unit.text(name_node)
            if not pointer_type and not _declares_pointer(declarator):
                self.scalar_locals.add(name)
            if is_static:
                self.static_locals.add(name)
            self.assigned.setdefault(name, [])
            if is_array and not is_static:
                self.assigned[name].append(None)  # stack memory: never a contract fact
            elif declarator.type == "init_declarator":
                value = declarator.child_by_field_name("value")
                if value is not None and value.type != "initializer_list":
                    self.assigned[name].append(value)

    def _read_call(self, node: Node) -> None:
        callee_node = node.child_by_field_name("function")
        callee = self.unit.text(callee_node) if callee_node is not None and callee_node.type == "identifier" else ""
        arguments = node.child_by_field_name("arguments")
        args = [a for a in (arguments.named_children if arguments else []) if a.type != "comment"]
        if callee.endswith(_CLEARING) and args:
            self._note_reset(args[0])
        data: list[tuple[int, int | None]] = []  # (position, the parameter it is or None): possible data
        functions: list[tuple[int, str]] = []  # (position, name): possible destructors
        for position, arg in enumerate(args):
            param = self.param_of(arg)
            if param is not None:
                self.summary.passed_params.add(param)
                if callee:
                    self.summary.passes.append(ArgPass(callee, position, param, self._site(node),
                                                       self._string_literals(args)))
                elif _names_a_release(callee_node, self.unit.text) and self._releases_argument(arg, callee_node, len(args)):
                    self.summary.indirect_releases.append(
                        ArgPass(self.unit.text(callee_node), position, param, self._site(node)))
            elif callee and (member := self._member_of(arg)) is not None:
                self.summary.member_passes.append(
                    MemberPass(callee, position, member, self._site(node), self._member_text(arg)))
            elif callee and (name := self._function_value(arg)) is not None:
                functions.append((position, name))
                continue
            if not self._is_plain_value(arg):
                data.append((position, param))
        for position, destructor in functions:
            param = _nearest(data, position)
            if param is not None:
                self.summary.hand_offs.append(HandOff(callee, param, destructor, self._site(node)))

    def _string_literals(self, args: list[Node]) -> tuple[tuple[int, str], ...]:
        """(position, contents) of the string literal arguments: what a printf format says."""
        found = []
        for position, arg in enumerate(args):
            parts = [arg] if arg.type == "string_literal" else (
                arg.named_children if arg.type == "concatenated_string" else [])
            if parts and all(p.type == "string_literal" for p in parts):
                found.append((position, "".join(self.unit.text(p)[1:-1] for p in parts)))
        return tuple(found)

    def _releases_argument(self, arg: Node, callee: Node | None, count: int) -> bool:
        """``b->release(b)`` (the object whose function pointer is called) or ``ops->free(p)`` (the
        only argument, of an unrelated object), but not ``w->context.free(w)``: that releases
        w's context."""
        callee = _strip(callee)
        owner = _strip(callee.child_by_field_name("argument")) if callee is not None else None
        stripped = _strip(arg)
        if owner is None or stripped is None:
            return False
        if owner.type == "identifier":
            return self.unit.text(owner) == self.unit.text(stripped) or count == 1
        root = _root(owner)
        return count == 1 and root is not None and self.unit.text(root) != self.unit.text(stripped)

    def _is_plain_value(self, expr: Node) -> bool:
        """Clearly not data to own: a length, a flag (``n``, ``sizeof x``, ``strlen(p)``, ``-1``), NULL."""
        expr = _strip(expr)
        if expr is None:
            return False
        if expr.type in ("number_literal", "sizeof_expression", "char_literal", "true", "false", "null"):
            return True  # (NULL too: nothing to hand over)
        if expr.type == "unary_expression":
            return self._is_plain_value(expr.child_by_field_name("argument"))
        if expr.type == "identifier":
            name = self.unit.text(expr)
            index = self.params.get(name)
            return (index is not None and index not in self.pointer_params) or name in self.scalar_locals \
                or name in _NULLS
        if expr.type == "call_expression":
            name = self.unit.text(expr.child_by_field_name("function"))
            function = self.model.functions.get(name)
            return name in _LENGTH_FUNCTIONS or (function is not None and not returns_pointer(self.model, function))
        return False

    def _member_of(self, expr: Node) -> int | None:
        """The pointer parameter whose member or element ``expr`` reads (``p->key``, ``v[i]``)."""
        expr = _strip(expr)
        if expr is not None and expr.type == "identifier":
            # `void *buf = ws->workspace; ...; free(buf)`
            origins = self._identifier_origins(self.unit.text(expr))
            indexes = {o.index for o in origins if o.kind == "param_member"}
            return indexes.pop() if len(indexes) == 1 and all(o.kind == "param_member" for o in origins) else None
        if expr is None or expr.type not in ("field_expression", "subscript_expression", "pointer_expression"):
            return None
        if expr.type == "pointer_expression" and _operator(expr) == "&":
            return None  # &p->x points into p: not a separate allocation
        root = _root(expr)
        name = self.unit.text(root) if root is not None else ""
        if name in self.params and name not in self.assigned:  # including `v[i]` of a `char **v`
            index = self.params[name]
            return index if index in self.pointer_params else None
        origin = self._derived_origin(expr)
        return origin.index if origin.kind == "param_member" else None

    def _member_text(self, expr: Node) -> str:
        stripped = _strip(expr)
        return "" if stripped is None or stripped.type == "identifier" else _compact(self.unit.text(stripped))

    def _function_value(self, expr: Node) -> str | None:
        """The function ``expr`` names when it is a function used as a value (``free``, ``&free``)."""
        expr = _strip(expr)
        if expr is not None and expr.type == "pointer_expression" and _operator(expr) == "&":
            expr = _strip(expr.child_by_field_name("argument"))
        if expr is None or expr.type != "identifier":
            return None
        name = self.unit.text(expr)
        if name in self.params or name in self.assigned or name in self.model.globals:
            return None
        return name

    def _read_assignment(self, node: Node) -> None:
        left = _strip(node.child_by_field_name("left"))
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        if left.type in ("field_expression", "subscript_expression"):
            self._note_reset(left)
        out_param = self._out_param(left)
        if out_param is not None:
            for origin in self.origins(right):
                self.summary.outs.append(OutWrite(out_param, origin, self._site(node)))
            return
        param = self.param_of(right, derived=True)
        if param is None:
            return
        store = self._store(left, param, node)
        if store is not None:
            self.summary.stores.append(store)

    # ----- expressions ------------------------------------------------------------------
    def origins(self, expr: Node | None) -> list[Origin]:
        """Where the value of ``expr`` may come from (NULL contributes nothing), without repeats."""
        expr = _strip(expr)
        if expr is None:
            return [UNKNOWN]
        kind = expr.type
        if kind == "null" or (kind in ("identifier", "number_literal") and self.unit.text(expr) in _NULLS):
            return []
        if kind in ("string_literal", "concatenated_string"):
            return [STATIC]
        if kind == "conditional_expression":
            return _unique(self.origins(expr.child_by_field_name("consequence"))
                           + self.origins(expr.child_by_field_name("alternative")))
        if kind == "call_expression":
            callee = expr.child_by_field_name("function")
            if callee is None or callee.type != "identifier":
                return [UNKNOWN]
            arguments = expr.child_by_field_name("arguments")
            args = tuple(self._param_index(a)
                         for a in (arguments.named_children if arguments else []) if a.type != "comment")
            return [Origin("call", self.unit.text(callee), args=args)]
        if kind == "identifier":
            return self._identifier_origins(self.unit.text(expr))
        if kind in ("pointer_expression", "field_expression", "subscript_expression", "binary_expression"):
            return [self._derived_origin(expr)]
        return [UNKNOWN]

    def _identifier_origins(self, name: str) -> list[Origin]:
        solved = self._origin_memo.get(name)
        return solved if solved is not None else self._compute_identifier_origins(name)

    def _solve_origins(self) -> None:
        """Origins of every assigned name, as a fixpoint over the assignments.

        Flow-insensitive and monotone (sets only grow), so it converges in a few rounds even
        for bodies with thousands of reassignments and cycles such as ``a = b; b = a;``.
        """
        self._origin_memo = {name: [] for name in self.assigned}
        for _ in range(_MAX_ORIGIN_ROUNDS):
            changed = False
            for name in self.assigned:
                old = self._origin_memo[name]
                new = _unique(old + self._compute_identifier_origins(name))
                if len(new) != len(old):
                    self._origin_memo[name] = new
                    changed = True
            if not changed:
                return

    def _compute_identifier_origins(self, name: str) -> list[Origin]:
        if name in self.static_locals:
            return [STATIC]
        values = self.assigned.get(name, [])
        reassigned = [o for v in values for o in self.origins(v)]
        if name in self.params:
            index = self.params[name]
            return _unique([Origin("param", index=index) if index in self.pointer_params else UNKNOWN, *reassigned])
        if name in self.assigned:
            return _unique(reassigned) if values else [UNKNOWN]
        if name in self.model.globals:
            return [STATIC]
        return [UNKNOWN]

    def _derived_origin(self, expr: Node) -> Origin:
        """``&p->f``, ``p->f``, ``p[i]``, ``p + n``: a value reached through another pointer."""
        if expr.type == "binary_expression" and _operator(expr) not in ("+", "-"):
            return UNKNOWN
        root = _root(expr)
        if root is None:
            return UNKNOWN
        name = self.unit.text(root)
        if name in self.params and name not in self.assigned:
            index = self.params[name]
            if index not in self.pointer_params or self._element_of_pointer_array(expr, index):
                return UNKNOWN
            return Origin("param_member", index=index)
        sources = self._identifier_origins(name)
        if sources and all(o.kind == "static" for o in sources):
            return STATIC
        if sources and all(o.kind in ("param", "param_member") for o in sources) and len({o.index for o in sources}) == 1:
            return Origin("param_member", index=sources[0].index)
        return UNKNOWN

    def _element_of_pointer_array(self, expr: Node, index: int) -> bool:
        """``argv[i]`` or ``*argv`` of a ``char **argv`` parameter: a pointer the caller stored in
        its own array, owned by whoever made it, not by the array. An array of ``const T *``
        (``X_by_idx(const rd_kafka_X_t **arr, ...)``) is a read-only view: its elements stay
        borrowed from it."""
        param = self.function.params[index]
        if param.pointer_depth < 2 or param.is_const:
            return False
        is_load = expr.type == "subscript_expression" or (expr.type == "pointer_expression" and _operator(expr) == "*")
        array = _strip(expr.child_by_field_name("argument"))
        return is_load and array is not None and array.type == "identifier"

    def _param_index(self, expr: Node) -> int:
        index = self.param_of(expr)
        return -1 if index is None else index

    def param_of(self, expr: Node | None, *, derived: bool = False) -> int | None:
        """The pointer parameter ``expr`` is (or, with ``derived``, points into)."""
        expr = _strip(expr)
        if expr is None:
            return None
        if derived and (expr.type == "binary_expression" or
                        (expr.type == "pointer_expression" and _operator(expr) == "&")):
            root = _root(expr)
            expr = root if root is not None else expr
        if expr.type != "identifier":
            return None
        origins = self._identifier_origins(self.unit.text(expr))
        indexes = {o.index for o in origins if o.kind == "param"}
        if len(origins) >= 1 and all(o.kind == "param" for o in origins) and len(indexes) == 1:
            index = indexes.pop()
            return index if index in self.pointer_params else None
        return None

    def _out_param(self, left: Node) -> int | None:
        """``*out`` or ``out[0]`` where ``out`` is a pointer-to-pointer parameter."""
        dereference = left.type == "pointer_expression" and _operator(left) == "*"
        first_element = (left.type == "subscript_expression"
                         and self.unit.text(left.child_by_field_name("index")).strip() == "0")
        if not (dereference or first_element):
            return None
        target = _strip(left.child_by_field_name("argument"))
        if target is None or target.type != "identifier":
            return None
        index = self.params.get(self.unit.text(target))
        if index is None or self.function.params[index].pointer_depth < 2:
            return None
        return index

    def _store(self, left: Node, param: int, node: Node) -> Store | None:
        """The store ``left = param`` when ``left`` outlives the call."""
        root = _root(left)
        if root is None:
            return None
        name = self.unit.text(root)
        if name in self.static_locals or (name in self.model.globals and name not in self.params
                                          and name not in self.assigned):
            return Store(param, "global", self._site(node))
        if self.assigned.get(name):
            sources = self._identifier_origins(name)
            if sources and all(o.kind == "static" for o in sources):
                return Store(param, "global", self._site(node))
            if sources and all(o.kind == "call" for o in sources) and name in self.handed_back and root is not left:
                return Store(param, "allocation", self._site(node), tuple(sorted({o.name for o in sources})))
            return None
        other = self.params.get(name)
        if other is not None and other != param and root is not left:
            return Store(param, "argument", self._site(node))
        return None

    def _site(self, node: Node) -> Site:
        text = " ".join(self.unit.text(node).split())
        if len(text) > _TEXT_LIMIT:
            text = text[: _TEXT_LIMIT - 3] + "..."
        return Site(f"{self.unit.path}:{node.start_point[0] + 1}", text)


def _compact(text: str) -> str:
    return "".join(text.split())


def _names_a_release(callee: Node | None, text: Callable[[Node], str]) -> bool:
    """``ops->free``, ``self->release``: a function pointer field named as a deallocator."""
    callee = _strip(callee)
    if callee is None or callee.type != "field_expression":
        return False
    # Exactly a memory-releasing verb: `c->snapshot_destroy(c, name)` destroys a snapshot, not
    # c, and `w->callbacks.close(w)` tells the user a window wants closing.
    return text(callee.child_by_field_name("field")).lower() in _RELEASING_FIELDS


def _nearest(data: list[tuple[int, int | None]], position: int) -> int | None:
    """The parameter that is the argument closest before ``position`` (a destructor follows its
    data: ``bind(stmt, i, p, n, free)``), else closest after; None when that argument is not one."""
    before = [param for at, param in data if at < position]
    if before:
        return before[-1]
    return next((param for at, param in data if at > position), None)


def _unique(origins: list[Origin]) -> list[Origin]:
    return list(dict.fromkeys(origins))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _strip(node: Node | None) -> Node | None:
    while node is not None and node.type in ("cast_expression", "parenthesized_expression", "comma_expression"):
        if node.type == "cast_expression":
            node = node.child_by_field_name("value")
        elif node.type == "comma_expression":
            node = node.child_by_field_name("right")
        else:
            node = node.named_children[-1] if node.named_children else None
    return node


def _root(node: Node | None) -> Node | None:
    """The identifier at the base of ``a->b.c[i]``, ``&a->b``, ``*a``, ``a + n``."""
    node = _strip(node)
    while node is not None and node.type != "identifier":
        if node.type in ("field_expression", "subscript_expression", "pointer_expression"):
            node = _strip(node.child_by_field_name("argument"))
        elif node.type == "binary_expression":
            node = _strip(node.child_by_field_name("left"))
        else:
            return None
    return node


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    if op is not None:
        return op.type
    return next((c.type for c in node.children if not c.is_named), "")


def _declares_pointer(declarator: Node) -> bool:
    node: Node | None = declarator
    while node is not None and node.type != "identifier":
        if node.type in ("pointer_declarator", "function_declarator"):
            return True
        node = node.child_by_field_name("declarator")
    return False


def _declared_name(declarator: Node) -> tuple[Node | None, bool]:
    """The declared identifier and whether it is an array."""
    node, is_array = declarator, False
    while node is not None and node.type != "identifier":
        is_array = is_array or node.type == "array_declarator"
        node = node.child_by_field_name("declarator")
    return node, is_array


def summarize(model: CModel, function: CFunction) -> BodySummary | None:
    if function.body is None:
        return None
    return _BodyReader(model, function).read(function.body)

