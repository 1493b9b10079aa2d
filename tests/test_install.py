"""What a new user meets first: the README's commands, the version, the license, the Docker
image, the pre-commit hook and the single-file build."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml
from gotools import REPO_ROOT

import cgoguard
from cgoguard.cli import main

README = (REPO_ROOT / "README.md").read_text()


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert README.index("```sh") < README.index("\n## "), "the commands come before any section"
    scan, tests = first_block.strip().splitlines()
    assert scan == "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/cgoguard scan examples/"
    assert tests == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == tests, "the CI script runs the README's test command verbatim"


def test_one_version_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", cgoguard.__version__)
    assert importlib.metadata.version("cgoguard") == cgoguard.__version__
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"cgoguard {cgoguard.__version__}\n"


def test_license_file_matches_the_metadata() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (REPO_ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_readme_configuration_example_is_valid() -> None:
    from cgoguard.scan.config import parse_table

    [config] = [block for block in readme_blocks("toml") if "[tool.cgoguard]" in block]
    table = tomllib.loads(config)["tool"]["cgoguard"]
    values = parse_table(table, "README")
    assert values["per_file_ignores"][0] == ("internal/cbindings/*_gen.go", ("CG3",))


def test_readme_workflow_uses_only_inputs_the_action_has() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    [workflow] = [yaml.safe_load(block) for block in readme_blocks("yaml") if "jobs:" in block]
    step = next(s for s in workflow["jobs"]["cgoguard"]["steps"] if "cgoguard@" in s.get("uses", ""))
    assert set(step["with"]) <= set(action["inputs"])
    assert workflow["permissions"]["security-events"] == "write"
    for name in action["inputs"]:
        assert f"`{name}`" in README, f"input {name} is not documented in the README"


# ---------------------------------------------------------------------------------------------
# Docker: no engine here, so the Dockerfile is checked by reading it and by running its install
# step on exactly the files it copies.

def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_copies_existing_files_that_dockerignore_lets_through() -> None:
    instructions = dockerfile_instructions()
    copies = [args.split() for op, args in instructions if op == "COPY"]
    sources = [source for args in copies for source in args[:-1]]
    assert sources == ["pyproject.toml", "README.md", "LICENSE", "src"]
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
    allowed = {line[1:].rstrip("/") for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert set(sources) <= allowed
    froms = [args for op, args in instructions if op == "FROM"]
    assert froms == ["golang:${GO_VERSION}-bookworm"]  # Go, gcc and libc6-dev; Debian 12's Python 3.11
    run = " ".join(args for op, args in instructions if op == "RUN")
    assert "python3-venv" in run and '"/opt/cgoguard/source[plot]"' in run and "cgoguard --version" in run
    assert ("ENTRYPOINT", '["cgoguard"]') in instructions


@pytest.mark.slow
def test_dockerfile_install_step_builds_from_the_copied_files(tmp_path: Path) -> None:
    source = tmp_path / "opt" / "cgoguard" / "source"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO_ROOT / name, source)
    shutil.copytree(REPO_ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "wheel"),
                           str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    [wheel] = (tmp_path / "wheel").glob("cgoguard-*.whl")
    assert wheel.name.startswith(f"cgoguard-{cgoguard.__version__}-")


# ---------------------------------------------------------------------------------------------
# pre-commit: the hook's entry, run as pre-commit runs it, with a baseline.

def test_pre_commit_hook_with_a_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    [hook] = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "cgoguard" and hook["language"] == "python" and hook["pass_filenames"]
    entry = hook["entry"].split()
    assert entry[0] == "cgoguard"
    module = shutil.copytree(REPO_ROOT / "examples" / "buggy", tmp_path / "buggy")
    monkeypatch.chdir(module)
    changed = ["cbuf/buffer.go", "cbuf/cbuf.c"]
    assert main([*entry[1:], "--no-cache", *changed]) == 1  # the planted bugs
    assert main(["scan", "--no-cache", "-q", "--write-baseline", "cgoguard-baseline.json"]) == 0
    assert main([*entry[1:], "--no-cache", "--baseline", "cgoguard-baseline.json", *changed]) == 0
    buffer = module / "cbuf" / "buffer.go"
    buffer.write_text(buffer.read_text() + "\nfunc Leak(s string) {\n\t_ = C.CString(s)\n}\n")
    capsys.readouterr()
    assert main([*entry[1:], "--no-cache", "--baseline", "cgoguard-baseline.json", *changed]) == 1
    assert "CG101" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# The single-file build.

@pytest.mark.slow
@pytest.mark.skipif(find_spec("shiv") is None, reason="needs shiv (in the test extra)")
def test_zipapp_builds_and_scans_the_examples(tmp_path: Path) -> None:
    output = tmp_path / "cgoguard.pyz"
    build = subprocess.run([sys.executable, str(REPO_ROOT / "packaging" / "build_zipapp.py"), "-o", str(output)],
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout + build.stderr
    env = {**os.environ, "SHIV_ROOT": str(tmp_path / "shiv-root")}
    env.pop("PYTHONPATH", None)
    version = subprocess.run([sys.executable, str(output), "--version"], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=300)
    assert version.stdout == f"cgoguard {cgoguard.__version__}\n", version.stderr
    scan = subprocess.run([sys.executable, str(output), "scan", str(REPO_ROOT / "examples"), "--no-cache",
                           "--format", "json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert scan.returncode == 1, scan.stderr
    assert len(json.loads(scan.stdout)["findings"]) == 6
