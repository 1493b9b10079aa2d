"""What a tree names is read only if it is a regular file inside the tree, and never hangs.

Includes that are /dev/zero, a FIFO, /proc/self/environ or a link out of the tree; -I
directories leading out of it; a baseline that is /dev/zero or a FIFO; a go.mod that is a
FIFO. Each ends in a clear input error (or is simply not read) within the time limit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile import GO_MOD, cgoguard, write_tree

from cgoguard.gofront import discover, load_packages

SECRET = "SECRET-7f3a"  # in files outside the tree: must never appear in any output
INCLUDING_GO = """package p

// #cgo CFLAGS: -I${SRCDIR}/_inc -I${SRCDIR}/_ext -I{outside_inc}
// #include "zero.h"
// #include "fifo.h"
// #include "environ.h"
// #include "escape.h"
// #include <ext.h>
// #include <abs.h>
import "C"

func F() { _ = C.ext_make(); _ = C.abs_make() }
"""
OUTSIDE_HEADER = "/* {secret}: the result must be freed with {name}_free(). */\nchar *{name}_make(void);\n" \
                 "void {name}_free(char *p);\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "inc").mkdir(parents=True)
    (outside / "escape.h").write_text(OUTSIDE_HEADER.format(secret=SECRET, name="esc"))
    (outside / "ext.h").write_text(OUTSIDE_HEADER.format(secret=SECRET, name="ext"))
    (outside / "inc" / "abs.h").write_text(OUTSIDE_HEADER.format(secret=SECRET, name="abs"))
    root = write_tree(tmp_path / "tree", {
        "go.mod": GO_MOD,
        "p/p.go": INCLUDING_GO.replace("{outside_inc}", str(outside / "inc")),
    })
    inc = root / "p" / "_inc"  # "_" directories are not packages: only the includes reach these
    inc.mkdir()
    os.symlink("/dev/zero", inc / "zero.h")
    os.mkfifo(inc / "fifo.h")
    os.symlink("/proc/self/environ", inc / "environ.h")
    os.symlink(outside / "escape.h", inc / "escape.h")
    os.symlink(outside, root / "p" / "_ext")
    return root


def test_hostile_includes_are_input_errors_not_reads(tree: Path) -> None:
    result = cgoguard("scan", "--no-cache", "--format", "json", ".", cwd=tree, env={"CGOGUARD_MARK": SECRET})
    assert result.returncode == 1, result.stderr
    errors = {e["path"]: e["message"] for e in json.loads(result.stdout)["errors"]}
    assert errors == {
        "p/_inc/zero.h": "cannot read: under /dev, a pseudo-file system cgoguard never reads",
        "p/_inc/fifo.h": "cannot read: not a regular file (a FIFO)",
        "p/_inc/environ.h": "cannot read: under /proc, a pseudo-file system cgoguard never reads",
        "p/_inc/escape.h": "cannot read: outside the analysed tree (a symbolic link or path that leads out of it "
                           "is not followed)",
    }
    assert SECRET not in result.stdout + result.stderr


def test_include_dirs_outside_the_tree_are_not_searched(tree: Path) -> None:
    result = cgoguard("contracts", "--all", "--no-cache", "--format", "json", ".", cwd=tree)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout and "ext_free" not in result.stdout and "abs_free" not in result.stdout
    assert "outside" not in result.stdout.replace("outside the analysed tree", "")


def test_the_c_model_refuses_the_same_headers_in_process(tree: Path) -> None:
    package = load_packages(discover([str(tree / "p")]).packages[0])[0]
    assert [d.name for d in package.include_dirs] == ["_inc"]  # _ext and the absolute dir lead out
    assert sorted(message.split(": ", 1)[1] for _, message in package.c.errors) == [
        "not a regular file (a FIFO)", "outside the analysed tree (a symbolic link or path that leads out of it is "
        "not followed)", "under /dev, a pseudo-file system cgoguard never reads",
        "under /proc, a pseudo-file system cgoguard never reads"]
    assert [unit.path for unit in package.c.units] == [str(tree / "p" / "p.go")]


def test_a_go_file_linked_out_of_the_tree_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.go").write_text(f'package p\n\nimport "C"\n\nvar S = "{SECRET}"\n')
    root = write_tree(tmp_path / "tree", {"go.mod": GO_MOD, "p/a.go": "package p\n"})
    os.symlink(tmp_path / "secret.go", root / "p" / "b.go")
    os.mkfifo(root / "p" / "c.go")
    result = cgoguard("scan", "--no-cache", "--format", "json", ".", cwd=root)
    errors = {e["path"]: e["message"] for e in json.loads(result.stdout)["errors"]}
    assert errors["p/b.go"].startswith("cannot read: outside the analysed tree")
    assert errors["p/c.go"] == "cannot read: not a regular file (a FIFO)"
    assert SECRET not in result.stdout


@pytest.mark.parametrize(("baseline", "message"), [
    ("/dev/zero", "under /dev, a pseudo-file system cgoguard never reads"),
    ("/proc/self/environ", "under /proc, a pseudo-file system cgoguard never reads"),
    ("fifo.json", "not a regular file (a FIFO)"),
    ("zero.json", "under /dev, a pseudo-file system cgoguard never reads"),
])
def test_a_baseline_that_is_a_device_or_fifo_is_refused_without_hanging(tmp_path: Path, baseline: str,
                                                                         message: str) -> None:
    root = write_tree(tmp_path / "tree", {"go.mod": GO_MOD, "p/a.go": "package p\n"})
    os.mkfifo(root / "fifo.json")
    os.symlink("/dev/zero", root / "zero.json")
    from_command_line = cgoguard("scan", "--no-cache", "--baseline", baseline, ".", cwd=root)
    assert from_command_line.returncode == 2
    assert f"cannot read baseline {baseline}: {message}" in from_command_line.stderr
    (root / "cgoguard.toml").write_text(f'baseline = "{baseline}"\n')
    from_tree = cgoguard("scan", "--no-cache", ".", cwd=root)
    assert from_tree.returncode == 2
    # A tree's configuration may not even name a file outside the tree: refused before any read.
    assert (message if baseline == "fifo.json" else "is outside the project") in from_tree.stderr


def test_a_fifo_go_mod_or_config_does_not_hang(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {"p/a.go": 'package p\n\nimport "C"\nimport "unsafe"\n\n'
                                                    "func F(p unsafe.Pointer) uintptr { return uintptr(p) }\n"})
    os.mkfifo(root / "go.mod")
    os.mkfifo(root / "cgoguard.toml")
    result = cgoguard("scan", "--no-cache", ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    (root / "cgoguard.toml").unlink()
    os.symlink("/proc/self/environ", root / "cgoguard.toml")
    result = cgoguard("scan", "--no-cache", ".", cwd=root)
    assert result.returncode == 2 and "pseudo-file system" in result.stderr


def test_module_packages_are_read_for_facts_only_inside_the_tree(tmp_path: Path) -> None:
    """A local ``replace`` is followed within the repository, never out of it, and a go.mod
    linked out of the tree is not read."""
    helper = 'package {name}\n\n// #include <stdlib.h>\nimport "C"\nimport "unsafe"\n\n' \
             "// {secret}\nfunc Free(p unsafe.Pointer) {{ C.free(p) }}\n"
    write_tree(tmp_path / "outside", {"go.mod": "module example.com/out\n",
                                      "out.go": helper.format(name="out", secret=SECRET)})
    root = write_tree(tmp_path / "tree", {
        "go.mod": GO_MOD + "\nreplace example.com/out => ../outside\nreplace example.com/in => ./third_party/in\n",
        "third_party/in/go.mod": "module example.com/in\n",
        "third_party/in/in.go": helper.format(name="in", secret="inside"),
        "app/app.go": 'package app\n\nimport (\n\t"example.com/in"\n\t"example.com/out"\n)\n\n'
                      "func F() { in.Free(nil); out.Free(nil) }\n",
    })
    (root / ".git").mkdir()  # the repository root: what a replace may reach
    result = cgoguard("scan", "--no-cache", "-v", "--format", "json", "app", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "1 dependency package(s) read for facts" in result.stderr
    assert SECRET not in result.stdout + result.stderr

    from cgoguard.gofront.discover import DiscoveryOptions, discover
    from cgoguard.gofront.graph import build_graph

    options = DiscoveryOptions()
    graph = build_graph(discover([str(root / "app")], options), options)
    assert [n.import_path for n in graph.nodes] == ["example.com/hostile/app", "example.com/in"]
    assert build_graph(discover([str(root / "app")], options), None).nodes[1:] == []  # cgoguard-vet: none

    (root / "app" / "go.mod").symlink_to(tmp_path / "outside" / "go.mod")
    graph = build_graph(discover([str(root / "app")], options), options)
    assert [n.import_path for n in graph.nodes] == [""]  # a module file out of the tree: no module
