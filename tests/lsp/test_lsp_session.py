"""``cgoguard lsp`` end to end: a real server process driven over stdio like an editor does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from lspclient import LspClient

pytest.importorskip("pygls")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _apply(text: str, edits: list[dict]) -> str:
    """Apply LSP text edits (UTF-16 positions; the example is ASCII) to ``text``."""
    lines = text.split("\n")

    def offset(position: dict) -> int:
        return sum(len(line) + 1 for line in lines[: position["line"]]) + position["character"]

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text


@pytest.fixture
def session(tmp_path: Path):
    module = tmp_path / "buggy"
    shutil.copytree(EXAMPLES / "buggy", module)
    client = LspClient([sys.executable, "-m", "cgoguard", "lsp", "--stdio"], cwd=str(module))
    try:
        yield client, module
    finally:
        client.close()


def test_diagnostics_related_locations_code_actions_and_shutdown(session) -> None:
    client, module = session
    document = module / "cbuf" / "buffer.go"
    uri = document.as_uri()
    init = client.request("initialize", {
        "processId": None, "rootUri": module.as_uri(),
        "capabilities": {"textDocument": {"publishDiagnostics": {"relatedInformation": True},
                                          "codeAction": {"codeActionLiteralSupport": {
                                              "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}}}}},
    })
    capabilities = init["capabilities"]
    assert capabilities["codeActionProvider"]["codeActionKinds"] == ["quickfix", "source.fixAll.cgoguard"]
    assert capabilities["textDocumentSync"]["save"] is not None
    client.notify("initialized")
    text = document.read_text()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1,
                                                            "text": text}})
    published = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri)
    diagnostics = published["params"]["diagnostics"]
    assert {d["code"] for d in diagnostics} == {"CG101", "CG103", "CG104", "CG202"}
    assert all(d["source"] == "cgoguard" for d in diagnostics)
    double_free = next(d for d in diagnostics if d["code"] == "CG103")
    assert double_free["severity"] == 1  # Error
    assert [r["message"] for r in double_free["relatedInformation"]] == ["allocated here", "first freed here"]
    assert double_free["relatedInformation"][1]["location"]["uri"] == uri

    dangling = next(d for d in diagnostics if d["code"] == "CG104")
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": dangling["range"], "context": {"diagnostics": [dangling]}})
    quick = [a for a in actions if a["kind"] == "quickfix"]
    assert [a["title"] for a in quick] == ["set b.c = nil after freeing (CG104)"]
    assert quick[0]["isPreferred"] is True
    fixed = _apply(text, quick[0]["edit"]["changes"][uri])
    assert "\tC.buffer_free(b.c)\n\tb.c = nil\n}" in fixed

    whole_file = {"start": {"line": 0, "character": 0}, "end": {"line": len(text.splitlines()), "character": 0}}
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": whole_file, "context": {"diagnostics": [], "only": ["source"]}})
    assert [a["kind"] for a in actions] == ["source.fixAll.cgoguard"]
    assert actions[0]["title"] == "cgoguard: fix all (2 safe fixes)"
    all_fixed = _apply(text, actions[0]["edit"]["changes"][uri])
    assert "b.c = nil" in all_fixed and "defer C.free(unsafe.Pointer(cBufferString))" in all_fixed

    # Saved with the fixes: the fixed findings are gone from the next publication.
    document.write_text(all_fixed)
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": all_fixed}]})
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    published = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri)
    assert {d["code"] for d in published["params"]["diagnostics"]} == {"CG103", "CG202"}

    assert client.request("shutdown") is None
    client.notify("exit")
    assert client.process.wait(timeout=30) == 0
    assert b"Traceback" not in client.stderr, client.stderr.decode(errors="replace")


def test_stale_buffer_gets_no_fix(session) -> None:
    client, module = session
    document = module / "cbuf" / "buffer.go"
    uri = document.as_uri()
    client.request("initialize", {"processId": None, "rootUri": module.as_uri(), "capabilities": {}})
    client.notify("initialized")
    text = document.read_text()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1,
                                                            "text": text}})
    published = client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri)
    dangling = next(d for d in published["params"]["diagnostics"] if d["code"] == "CG104")
    edited = "// a comment typed since the last save\n" + text
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": edited}]})
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": dangling["range"], "context": {"diagnostics": [dangling]}})
    assert actions == [] or actions is None
    client.request("shutdown")
    client.notify("exit")
    assert client.process.wait(timeout=30) == 0
