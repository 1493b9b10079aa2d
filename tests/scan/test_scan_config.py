"""Configuration in ``[tool.cgoguard]`` of pyproject.toml or in cgoguard.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from scanhelpers import RunCli, write_tree

from cgoguard.errors import UsageError
from cgoguard.findings import Severity
from cgoguard.scan.config import load_config

pytestmark = pytest.mark.usefixtures("test_rules")


def rules_reported(cli: RunCli, *args: str) -> tuple[int, list[str]]:
    status, out, err = cli("scan", "--no-cache", "--format", "concise", *args)
    assert status in (0, 1), err
    return status, [line.split(": ")[2].split(" ")[0] + ":" + line.split(":")[0] for line in out.splitlines()]


def test_pyproject_select_ignore_severity_and_fail_on(project: Path, cli: RunCli) -> None:
    write_tree(project, {"pyproject.toml": """
        [tool.cgoguard]
        ignore = ["CG991"]
        severity = { test-cstring = "info" }
        fail-on = "warning"
        """})
    status, out, _ = cli("scan", "--no-cache")
    assert status == 0  # the only finding left was demoted to info
    assert out == "leaky/leaky.go:8:7: info: CG990 [c-leak] C.CString call\n"


def test_cgoguard_toml_beats_pyproject_in_the_same_directory(project: Path, cli: RunCli) -> None:
    write_tree(project, {"pyproject.toml": '[tool.cgoguard]\nselect = ["CG991"]\n',
                         "cgoguard.toml": 'select = ["CG990"]\n'})
    assert rules_reported(cli)[1] == ["CG990:leaky/leaky.go"]


def test_closest_config_wins_and_pyproject_without_section_means_defaults(project: Path, cli: RunCli) -> None:
    write_tree(project, {"cgoguard.toml": 'select = ["CG990"]\n', "leaky/pyproject.toml": "[project]\nname = 'x'\n"})
    assert rules_reported(cli, "leaky")[1] == ["CG990:leaky/leaky.go", "CG991:leaky/leaky.go"]
    assert rules_reported(cli, ".")[1] == ["CG990:leaky/leaky.go"]


def test_exclude_is_relative_to_the_project_root(project: Path, cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(project, {"cgoguard.toml": 'exclude = ["leaky"]\n',
                         "other/other.go": 'package other\n\nimport "C"\n\nfunc F() { _ = C.malloc(1) }\n'})
    assert rules_reported(cli)[1] == ["CG991:other/other.go"]
    monkeypatch.chdir(project / "other")
    assert rules_reported(cli, "..")[1] == ["CG991:other.go"]


def test_command_line_overrides_the_file(project: Path, cli: RunCli) -> None:
    write_tree(project, {"cgoguard.toml": 'select = ["CG990"]\nfail-on = "error"\n'})
    assert rules_reported(cli)[0] == 0
    assert rules_reported(cli, "--fail-on", "warning")[0] == 1
    assert rules_reported(cli, "--select", "CG991")[1] == ["CG991:leaky/leaky.go"]


def test_explicit_config_file(project: Path, cli: RunCli) -> None:
    write_tree(project, {"ci/strict.toml": '[tool.cgoguard]\nselect = ["CG991"]\n'})
    assert rules_reported(cli, "--config", "ci/strict.toml")[1] == ["CG991:leaky/leaky.go"]


@pytest.mark.parametrize(("content", "message"), [
    ('selekt = ["CG990"]\n', "unknown key 'selekt' in [tool.cgoguard] (valid keys: baseline, cache,"),
    ('fail-on = "sometimes"\n', "fail-on must be one of error, info, none, warning"),
    ('select = "CG990"\nignore = [1]\n', "ignore must be a list of strings"),
    ('severity = { CG990 = "fatal" }\n', "severity.CG990 must be one of error, info, warning"),
    ('goos = "beos"\n', "goos must be one of"),
    ('select = ["CG9999"]\n', "'CG9999' matches no rule id, rule name or category"),
    ("select = [\n", "invalid TOML"),
])
def test_invalid_configuration_exits_2(project: Path, cli: RunCli, content: str, message: str) -> None:
    write_tree(project, {"cgoguard.toml": content})
    status, out, err = cli("scan", "--no-cache")
    assert status == 2 and out == ""
    assert message in err


def test_load_config_values_and_root(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": """
        [tool.cgoguard]
        tags = ["integration"]
        goarch = "arm64"
        tests = true
        baseline = "cgoguard-baseline.json"
        [tool.cgoguard.contracts]
        functions = { widget_new = { returns = "owned", deallocator = "widget_free" } }
        """, "pkg/sub/x.go": "package sub\n"})
    config = load_config(tmp_path / "pkg" / "sub", {"goos": "darwin"})
    assert config.root == tmp_path and config.config_path == tmp_path / "pyproject.toml"
    assert config.target.tags == frozenset({"integration"}) and config.target.include_tests
    assert (config.goos, config.goarch) == ("darwin", "arm64")
    assert config.baseline == tmp_path / "cgoguard-baseline.json"
    assert config.contracts["functions"]["widget_new"]["returns"] == "owned"
    assert config.fail_threshold == Severity.WARNING


def test_config_without_file_uses_go_mod_as_root(tmp_path: Path) -> None:
    write_tree(tmp_path, {"go.mod": "module m\n", "a/b.go": "package a\n"})
    assert load_config(tmp_path / "a").root == tmp_path
    with pytest.raises(UsageError, match="no such configuration file"):
        load_config(tmp_path, config_file=tmp_path / "missing.toml")


@pytest.mark.parametrize(("select", "expected"), [
    ("CG99", ["CG990:leaky/leaky.go", "CG991:leaky/leaky.go"]),  # an id prefix
    ("test-malloc", ["CG991:leaky/leaky.go"]),  # a rule name
    ("c-leak", ["CG990:leaky/leaky.go", "CG991:leaky/leaky.go"]),  # a category
    ("ALL", ["CG990:leaky/leaky.go", "CG991:leaky/leaky.go"]),
    ("segv", []),  # a category without static rules selects nothing, and is not an error
])
def test_rule_keys(project: Path, cli: RunCli, select: str, expected: list[str]) -> None:
    assert rules_reported(cli, "--select", select)[1] == expected


def test_repeated_select_and_ignore_accumulate(project: Path, cli: RunCli) -> None:
    assert rules_reported(cli, "--select", "CG990", "--select", "CG991")[1] == [
        "CG990:leaky/leaky.go", "CG991:leaky/leaky.go"]
    assert rules_reported(cli, "--ignore", "CG990", "--ignore", "CG991")[1] == []


def test_show_config_names_the_file_and_the_values_in_force(project: Path, cli: RunCli) -> None:
    write_tree(project, {"pyproject.toml": """
        [tool.cgoguard]
        ignore = ["CG991"]
        severity = { test-cstring = "info" }
        per-file-ignores = { "gen/*" = ["CG990"] }

        [tool.cgoguard.contracts]
        my_free = { frees = [0] }
        """})
    status, out, _ = cli("scan", "--show-config", "--select", "CG9", "--tags", "a,b", "--fail-on", "error")
    assert status == 0
    lines = out.splitlines()
    assert lines[:3] == [f"# configuration file: {project / 'pyproject.toml'}", f"# project root: {project}",
                         "[tool.cgoguard]"]
    for expected in ('select = ["CG9"]', 'ignore = ["CG991"]', 'per-file-ignores = { "gen/*" = ["CG990"] }',
                     'severity = { "test-cstring" = "info" }', 'fail-on = "error"', 'tags = ["a", "b"]',
                     "# baseline = (not set)", '"my_free" = { "frees" = [0] }', "#   CG990  test-cstring  (info)"):
        assert expected in lines, expected
    assert not any("CG991  test-malloc" in line for line in lines)  # ignored: not in force
    # What it prints is valid TOML that reads back to the same configuration.
    import tomllib

    table = tomllib.loads("\n".join(lines))["tool"]["cgoguard"]
    assert table["select"] == ["CG9"] and table["contracts"]["my_free"] == {"frees": [0]}
