"""CFG construction and the forward dataflow solver, on real tree-sitter parses."""

from __future__ import annotations

from cgoguard.analysis.cfg import ABORT, COND, DEFER, RANGE, Cfg, CfgNode, build_cfg
from cgoguard.analysis.dataflow import ForwardAnalysis
from cgoguard.gofront.syntax import parse_go, text


def cfg_of(body: str) -> Cfg:
    tree = parse_go(f"package p\nfunc f() {{\n{body}\n}}\n".encode())
    func = next(n for n in tree.root_node.named_children if n.type == "function_declaration")
    return build_cfg(func)


def reachable_texts(cfg: Cfg, start: int) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for succ in cfg.nodes[stack.pop()].succs:
            if succ not in seen:
                seen.add(succ)
                stack.append(succ)
    return {text(cfg.nodes[n].ast) for n in seen if cfg.nodes[n].ast is not None}


def node_with(cfg: Cfg, source: str) -> int:
    return next(n.id for n in cfg.nodes if n.ast is not None and text(n.ast) == source)


def test_if_else_joins_and_falls_off_the_end() -> None:
    cfg = cfg_of("if c { a() } else { b() }\nd()")
    cond = next(n for n in cfg.nodes if n.kind == COND)
    assert {text(cfg.nodes[s].ast) for s in cond.succs} == {"a()", "b()"}
    assert cond.true_succ == node_with(cfg, "a()")
    assert len(cfg.returns()) == 1  # the implicit return at the closing brace


def test_return_and_panic_end_paths() -> None:
    cfg = cfg_of("if c { return }\npanic(1)\nunreached()")
    assert node_with(cfg, "unreached()") not in {s for n in cfg.nodes for s in n.succs}
    panic = node_with(cfg, "panic(1)")
    assert cfg.nodes[panic].succs == [cfg.abort]
    assert node_with(cfg, "return") in cfg.nodes[cfg.exit].preds


def test_loops_break_continue_and_labels() -> None:
    cfg = cfg_of("outer:\nfor i := 0; i < n; i++ {\n for _, v := range xs {\n"
                 "  if v { continue outer }\n  if w { break }\n  x()\n }\n y()\n}\nz()")
    head = next(n for n in cfg.nodes if n.kind == RANGE)
    assert "z()" in reachable_texts(cfg, head.id)
    cont = node_with(cfg, "continue outer")
    assert "i++" in reachable_texts(cfg, cont)
    assert "x()" not in reachable_texts(cfg, node_with(cfg, "break")) - reachable_texts(cfg, head.id) - {"x()"}
    assert "y()" in reachable_texts(cfg, node_with(cfg, "break"))


def test_infinite_loop_without_break_has_no_exit() -> None:
    cfg = cfg_of("for {\n work()\n}\nnever()")
    assert not any(text(n.ast) == "never()" and n.preds for n in cfg.nodes if n.ast is not None)


def test_switch_fallthrough_and_missing_default() -> None:
    cfg = cfg_of("switch x {\ncase 1:\n a()\n fallthrough\ncase 2:\n b()\n}\nc()")
    assert "b()" in reachable_texts(cfg, node_with(cfg, "a()"))
    head = next(n for n in cfg.nodes if n.kind == COND)
    assert "c()" in {text(cfg.nodes[s].ast) for s in head.succs if cfg.nodes[s].ast is not None} or \
        any(cfg.nodes[s].ast is None for s in head.succs)


def test_select_and_goto() -> None:
    cfg = cfg_of("again:\nselect {\ncase v := <-ch:\n use(v)\ncase <-done:\n return\n}\ngoto again")
    assert "use(v)" in reachable_texts(cfg, node_with(cfg, "goto again"))


def test_defer_is_a_node_and_closures_are_not_inlined() -> None:
    cfg = cfg_of("defer func() { inner() }()\nouter()")
    assert [n.kind for n in cfg.nodes if n.kind == DEFER] == [DEFER]
    assert not any(n.ast is not None and text(n.ast) == "inner()" for n in cfg.nodes)


def test_os_exit_aborts() -> None:
    cfg = cfg_of("os.Exit(1)")
    assert cfg.nodes[node_with(cfg, "os.Exit(1)")].succs == [cfg.abort]
    assert cfg.nodes[cfg.abort].kind == ABORT


def test_forward_analysis_reaches_a_fixpoint_over_loops() -> None:
    cfg = cfg_of("for i := 0; i < n; i++ {\n a()\n b()\n}\nc()")

    def transfer(node: CfgNode, seen: frozenset[str]) -> frozenset[str]:
        return seen | {text(node.ast)} if node.ast is not None and node.ast.type == "expression_statement" else seen

    before = ForwardAnalysis(cfg, frozenset(), transfer, frozenset.union).solve()
    assert before[node_with(cfg, "a()")] == {"a()", "b()"}  # the back edge brought b() round
    assert before[node_with(cfg, "c()")] == {"a()", "b()"}
