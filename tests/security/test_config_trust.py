"""A configuration found in the scanned tree cannot run tools or reach outside the tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgoguard.errors import UsageError
from cgoguard.scan.config import load_config

TABLE = '[tool.cgoguard]\nselect = ["CG101"]\n\n[tool.cgoguard.contracts]\nsystem-headers = true\n' \
        'my_free = { frees = [0] }\n'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(TABLE)
    (tmp_path / "go.mod").write_text("module x\n")
    return tmp_path


def test_a_discovered_configuration_cannot_turn_on_system_headers(tree: Path) -> None:
    config = load_config(tree)
    assert not config.system_headers
    assert config.select == ("CG101",) and dict(config.contracts) == {"my_free": {"frees": [0]}}
    assert len(config.warnings) == 1 and "system-headers = true ignored" in config.warnings[0]
    assert "runs the C compiler and pkg-config" in config.warnings[0]


def test_the_command_line_and_a_named_file_can(tree: Path) -> None:
    asked = load_config(tree, {"system_headers": True})
    assert asked.system_headers and asked.warnings == ()
    named = load_config(tree, config_file=tree / "pyproject.toml")
    assert named.system_headers and named.warnings == ()
    assert "system-headers" not in named.contracts  # the switch is the config's, not a contract
    assert named.analysis_key() != load_config(tree).analysis_key()


def test_isolated_reads_no_file(tree: Path) -> None:
    config = load_config(tree, isolated=True)
    assert config.config_path is None and config.select == () and not config.system_headers
    assert config.root == tree  # still the project root, from go.mod
    with pytest.raises(UsageError, match="do not combine it with --config"):
        load_config(tree, config_file=tree / "pyproject.toml", isolated=True)


@pytest.mark.parametrize("key", ["baseline", "cache-dir"])
def test_paths_in_a_discovered_file_stay_in_the_project(tree: Path, key: str) -> None:
    (tree / "cgoguard.toml").write_text(f'{key} = "../elsewhere"\n')
    with pytest.raises(UsageError, match=f"{key} .* is outside the project"):
        load_config(tree)
    assert load_config(tree, config_file=tree / "cgoguard.toml") is not None  # named by the user: trusted
    (tree / "cgoguard.toml").write_text(f'{key} = "inside/x"\n')
    field = key.replace("-", "_")
    assert getattr(load_config(tree), field) == tree / "inside" / "x"


def test_only_a_cache_dir_from_the_tree_is_confined(tree: Path) -> None:
    assert load_config(tree).confine_cache
    assert not load_config(tree, {"cache_dir": Path("/anywhere")}).confine_cache
    (tree / "cgoguard.toml").write_text('cache-dir = "/anywhere"\n')
    assert not load_config(tree, config_file=tree / "cgoguard.toml").confine_cache
