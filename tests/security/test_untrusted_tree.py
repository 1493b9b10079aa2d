"""Scanning a tree you do not trust: nothing it names is run, written, or read from elsewhere.

Every test builds a hostile tree in a temporary directory and runs cgoguard as a real
process, with fake ``pkg-config`` and ``cc`` first on PATH that record each call.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hostile import GO_MOD, cgoguard, fake_tools, recorded, write_tree

HOSTILE_GO = """package p

// #cgo pkg-config: --log-file={pwned} goodpkg
// #cgo linux pkg-config: --define-variable=prefix={outside} ./evil.pc
// #include <stdlib.h>
import "C"

func F() {{ _ = C.malloc(4) }}
"""
SYSTEM_HEADERS_ON = "[contracts]\nsystem-headers = true\n"


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Path]:
    """A tree whose own configuration turns system headers on and whose #cgo pkg-config lines
    try to make pkg-config write a file; fake tools outside it record their calls."""
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = write_tree(tmp_path / "tree", {
        "go.mod": GO_MOD, "cgoguard.toml": SYSTEM_HEADERS_ON,
        "p/p.go": HOSTILE_GO.format(pwned=outside / "pwned", outside=outside),
    })
    calls = tmp_path / "calls.txt"
    return {"tree": tree, "outside": outside, "calls": calls, "bin": fake_tools(tmp_path / "bin", calls)}


def test_a_plain_scan_runs_nothing_even_when_the_tree_asks(hostile: dict[str, Path]) -> None:
    for command in (["scan", "."], ["contracts", "."], ["scan", "--no-cache", "p"]):
        result = cgoguard(*command, cwd=hostile["tree"], path_prefix=[hostile["bin"]])
        assert result.returncode in (0, 1), result.stderr
        assert "system-headers = true ignored" in result.stderr and "--system-headers" in result.stderr
    assert recorded(hostile["calls"]) == []
    assert os.listdir(hostile["outside"]) == []


def test_report_with_scan_runs_nothing_the_tree_asks(hostile: dict[str, Path]) -> None:
    (hostile["tree"] / "empty.log").write_text("nothing to see\n")
    result = cgoguard("report", "empty.log", "--with-scan", "--source", ".", cwd=hostile["tree"],
                      path_prefix=[hostile["bin"]])
    assert result.returncode == 0, result.stderr
    assert "system-headers = true ignored" in result.stderr
    assert recorded(hostile["calls"]) == [] and os.listdir(hostile["outside"]) == []


def test_system_headers_from_the_command_line_pass_package_names_only(hostile: dict[str, Path]) -> None:
    for command in (["scan", "--no-cache", "--system-headers", "."], ["contracts", "--system-headers", "."]):
        result = cgoguard(*command, cwd=hostile["tree"], path_prefix=[hostile["bin"]])
        assert result.returncode in (0, 1), result.stderr
        output = result.stdout + result.stderr
        assert "ignored" not in result.stderr  # the user asked: no warning about the tree's setting
        for word in (f"--log-file={hostile['outside'] / 'pwned'}", f"--define-variable=prefix={hostile['outside']}",
                     "./evil.pc"):
            assert f"#cgo pkg-config: {word!r} refused: only package names are passed to pkg-config" in output
    assert set(recorded(hostile["calls"])) == {"pkg-config --cflags-only-I -- goodpkg", "cc -E -v -x c -"}
    assert os.listdir(hostile["outside"]) == []


def test_an_explicitly_named_configuration_is_trusted(hostile: dict[str, Path]) -> None:
    result = cgoguard("scan", "--no-cache", "--config", "cgoguard.toml", ".", cwd=hostile["tree"],
                      path_prefix=[hostile["bin"]])
    assert result.returncode in (0, 1), result.stderr
    assert "pkg-config --cflags-only-I -- goodpkg" in recorded(hostile["calls"])
    assert os.listdir(hostile["outside"]) == []


def test_tools_shipped_by_the_tree_are_never_run(hostile: dict[str, Path]) -> None:
    tree = hostile["tree"]
    tree_calls = hostile["outside"].parent / "tree-calls.txt"
    fake_tools(tree / "bin", tree_calls)
    fake_tools(tree, tree_calls)  # ./pkg-config, for a PATH holding "."
    result = cgoguard("scan", "--no-cache", "--system-headers", ".", cwd=tree,
                      path_prefix=[".", "", tree / "bin", hostile["bin"]])
    assert result.returncode in (0, 1), result.stderr
    assert recorded(tree_calls) == []
    assert "pkg-config --cflags-only-I -- goodpkg" in recorded(hostile["calls"])


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="needs pkg-config")
def test_the_log_file_attack_fails_against_the_real_pkg_config(hostile: dict[str, Path]) -> None:
    """pkgconf appends to any file named by --log-file: with a real pkg-config nothing is written."""
    (hostile["tree"] / "p" / "p.go").write_text(
        HOSTILE_GO.format(pwned=hostile["outside"] / "pwned", outside=hostile["outside"]).replace("goodpkg", "zlib"))
    for command in (["scan", "--no-cache", "."], ["scan", "--no-cache", "--system-headers", "."],
                    ["contracts", "--system-headers", "."]):
        result = cgoguard(*command, cwd=hostile["tree"])
        assert result.returncode in (0, 1), result.stderr
        assert os.listdir(hostile["outside"]) == [], command


def test_isolated_ignores_the_tree_configuration(hostile: dict[str, Path]) -> None:
    tree = hostile["tree"]
    (tree / "cgoguard.toml").write_text('select = ["CG102"]\n' + SYSTEM_HEADERS_ON)
    configured = cgoguard("scan", "--no-cache", "--format", "json", ".", cwd=tree, path_prefix=[hostile["bin"]])
    isolated = cgoguard("scan", "--no-cache", "--format", "json", "--isolated", ".", cwd=tree,
                        path_prefix=[hostile["bin"]])
    assert '"CG101"' not in configured.stdout and "system-headers = true ignored" in configured.stderr
    assert '"CG101"' in isolated.stdout and "ignored" not in isolated.stderr, isolated.stderr
    both = cgoguard("scan", "--isolated", "--config", "cgoguard.toml", ".", cwd=tree)
    assert both.returncode == 2 and "--isolated" in both.stderr
    contracts = cgoguard("contracts", "--isolated", ".", cwd=tree, path_prefix=[hostile["bin"]])
    assert contracts.returncode == 0 and "ignored" not in contracts.stderr
    assert recorded(hostile["calls"]) == []


def test_run_static_scan_honours_isolated(hostile: dict[str, Path]) -> None:
    from cgoguard.runner.session import static_findings

    tree = hostile["tree"]
    (tree / "cgoguard.toml").write_text('select = ["CG102"]\n' + SYSTEM_HEADERS_ON)
    configured = static_findings(tree, lambda _: None)
    isolated = static_findings(tree, lambda _: None, isolated=True)
    assert configured == [] and isolated and {f.rule for f in isolated} == {"CG101"}
    assert not (tree / ".cgoguard_cache").exists()  # run never writes into the module
