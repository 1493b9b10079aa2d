"""The contract document: a golden Markdown file for the example package, JSON for tools,
and the ``cgoguard contracts`` command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from analysistest import FIXTURES

from cgoguard.cli import main
from cgoguard.contracts.assemble import document_package
from cgoguard.contracts.document import render_json, render_markdown
from cgoguard.gofront import DiscoveryOptions, discover, load_packages

CONTRACTS_FIXTURES = FIXTURES / "contracts"
GOLDEN = CONTRACTS_FIXTURES / "example" / "CONTRACTS.md"
CONFIG = {"ik_version": {"returns": "static", "ref": "imgkit README: ik_version",
                         "note": "The version string is a literal."}}


@pytest.fixture
def example_document(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(CONTRACTS_FIXTURES)  # display paths are relative to the working directory
    found = discover(["example"], DiscoveryOptions())
    package = load_packages(found.packages[0])[0]
    return document_package(package, CONFIG)


def test_markdown_matches_the_golden_file(example_document) -> None:
    text = render_markdown([example_document])
    if os.environ.get("CGOGUARD_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "set CGOGUARD_UPDATE_GOLDEN=1 to regenerate after review"


REPOSITORY = Path(__file__).resolve().parents[2]
CBUF_GOLDEN = CONTRACTS_FIXTURES / "cbuf" / "CONTRACTS.md"


def test_the_cbuf_example_document_matches_its_golden_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/buggy/cbuf: a buffer API whose document a reviewer reads to fix the package's bugs."""
    monkeypatch.chdir(REPOSITORY)
    package = load_packages(discover(["examples/buggy/cbuf"], DiscoveryOptions()).packages[0])[0]
    text = render_markdown([document_package(package, {})])
    if os.environ.get("CGOGUARD_UPDATE_GOLDEN"):
        CBUF_GOLDEN.parent.mkdir(exist_ok=True)
        CBUF_GOLDEN.write_text(text, encoding="utf-8")
    assert text == CBUF_GOLDEN.read_text(encoding="utf-8"), "set CGOGUARD_UPDATE_GOLDEN=1 to regenerate after review"
    assert "| `buffer_new` | owned | `buffer_free` |" in text
    assert "| `buffer_copy` | owned | `free` |" in text
    assert "naming pair buffer_copy" not in text, "buffer_free cannot take buffer_copy's char *"


def test_json_has_every_fact_and_call_site(example_document) -> None:
    data = json.loads(render_json([example_document]))
    assert data["precedence"] == ["config", "attribute", "pack", "body", "comment", "go-usage", "naming"]
    functions = {f["function"]: f for f in data["packages"][0]["functions"]}
    encode = functions["ik_encode"]
    assert (encode["returns"], encode["deallocator"], encode["confidence"]) == ("owned", "ik_buffer_free", "medium")
    assert encode["signature"] == "unsigned char *ik_encode(const ik_image *img, size_t *len)"
    assert encode["evidence"][0]["kind"] == "comment"
    assert functions["ik_image_name"]["borrows_from"] == 0
    assert functions["ik_codec_set_progress"]["retains_args"] == [2]
    assert functions["ex_consume"]["frees_args"] == [0]
    assert [(s["line"], s["column"]) for s in functions["CString"]["call_sites"]] == [(53, 12), (53, 26)]
    assert "GoString" not in functions and "int" not in functions, "copies and conversions are not C calls"


def test_json_follows_the_published_schema(example_document) -> None:
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("cgoguard.contracts").joinpath("contracts.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(render_json([example_document])), schema)


def test_cli_writes_json_and_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(CONTRACTS_FIXTURES)
    output = tmp_path / "contracts.json"
    assert main(["contracts", "example", "--format", "json", "--no-cache", "-o", str(output)]) == 0
    assert json.loads(output.read_text())["packages"][0]["name"] == "example"
    assert main(["contracts", "example", "--no-cache"]) == 0
    assert "| `ik_encode` | owned | `ik_buffer_free` |" in capsys.readouterr().out


def test_cli_reads_user_contracts_from_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "p.go").write_text('package p\n\n// char *lib_get(void);\nimport "C"\n\n'
                                  "func F() { _ = C.lib_get() }\n")
    (tmp_path / "cgoguard.toml").write_text('[contracts]\nlib_get = { returns = "owned", free = "lib_put" }\n')
    monkeypatch.chdir(tmp_path)
    assert main(["contracts", "pkg", "--format", "json", "--no-cache"]) == 0
    contract = json.loads(capsys.readouterr().out)["packages"][0]["functions"][0]
    assert (contract["function"], contract["returns"], contract["deallocator"]) == ("lib_get", "owned", "lib_put")
    assert contract["evidence"][0]["kind"] == "config"


def test_cli_rejects_a_bad_user_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.go").write_text('package p\n\n// char *lib_get(void);\nimport "C"\n')
    (tmp_path / "cgoguard.toml").write_text('[contracts]\nlib_get = { returns = "yours" }\n')
    monkeypatch.chdir(tmp_path)
    assert main(["contracts", ".", "--no-cache"]) == 2
    assert "lib_get: returns must be one of owned, borrowed, static, unknown" in capsys.readouterr().err


def test_cli_on_a_directory_without_cgo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.go").write_text("package p\n")
    assert main(["contracts", str(tmp_path), "--no-cache"]) == 0
    assert "No package that uses cgo was found." in capsys.readouterr().out


def test_functions_without_a_contract_are_listed_compactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.go").write_text('package p\n\n/*\nchar *mystery(void);\nint count(void);\n'
                                   'void unused(void);\n*/\nimport "C"\n\n'
                                   "func F() int { _ = C.mystery(); return int(C.count()) }\n")
    monkeypatch.chdir(tmp_path)
    assert main(["contracts", ".", "--no-cache"]) == 0
    text = capsys.readouterr().out
    assert "2 C functions called: 1 has no known contract; 1 has nothing to own or release." in text
    assert "- `mystery` — called from `p.go:10:20`" in text
    assert "- `count` — called from `p.go:10:44`" in text
    assert "unused" not in text
    assert main(["contracts", ".", "--no-cache", "--all"]) == 0
    assert "- `unused`" in capsys.readouterr().out


def test_signatures_keep_const() -> None:
    from cgoguard.cfront.build import CSourceInput, build_c_model
    from cgoguard.contracts.document import signature

    model = build_c_model([CSourceInput("s.h", b"int f(const char *a, char const *b, char *const c, int n);\n",
                                        CONTRACTS_FIXTURES)], [])
    assert signature(model.functions["f"]) == "int f(const char *a, const char *b, char *c, int n)"


@pytest.mark.parametrize(("name", "is_type"), [
    ("sqlite3_int64", True), ("rd_kafka_type_t", True), ("size_t", True), ("struct_foo", True),
    ("sqlite3_value_int64", False), ("sqlite3_column_int", False), ("sqlite3_column_double", False)])
def test_conversions_to_conventional_typedef_names_are_not_calls(name: str, is_type: bool) -> None:
    from cgoguard.cfront.model import CModel
    from cgoguard.contracts.calls import is_c_type

    assert is_c_type(CModel(), name) is is_type


def test_an_object_handed_back_through_an_argument_reads_as_owned(tmp_path: Path) -> None:
    (tmp_path / "p.go").write_text(
        'package p\n\n/*\ntypedef struct conn conn;\nint conn_open(conn **out, const char *dsn);\n'
        'void conn_close(conn *c);\n*/\nimport "C"\n\n'
        "func Open(dsn *C.char) {\n\tvar c *C.conn\n\tC.conn_open(&c, dsn)\n\tC.conn_close(c)\n}\n")
    package = load_packages(discover([str(tmp_path)], DiscoveryOptions()).packages[0])[0]
    text = render_markdown([document_package(package, {})])
    assert "| `conn_open` | owned, through `out` | `conn_close` |" in text
    assert "- **Output:** hands back an owned object through `out` (arg 0); release it with `conn_close`." in text
    assert "| `conn_close` | void | — | `c` |" in text
