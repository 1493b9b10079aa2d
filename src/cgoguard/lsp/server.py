"""``cgoguard lsp``: a language server (stdio) that runs cgoguard beside gopls.

On open and on save it analyses the package of the document (the files on disk, with the
configuration, suppressions and baseline ``cgoguard scan`` would use, and its cache) and
publishes diagnostics, with related locations, for every Go file of that package. Code
actions offer each finding's fix (``quickfix``) while the buffer still matches what was
analysed, and ``source.fixAll.cgoguard`` applies all safe fixes of the file at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from cgoguard import __version__
from cgoguard.errors import CgoguardError
from cgoguard.findings import Applicability, Finding
from cgoguard.lsp.convert import (
    FIX_ALL_KIND,
    SOURCE,
    Positions,
    diagnostic,
    path_uri,
    quick_fix,
    whole_document_edit,
)

logger = logging.getLogger(__name__)


class CgoguardServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__)
        self.findings: dict[str, list[Finding]] = {}  # by document URI: the last analysis
        self.published: dict[Path, set[str]] = {}  # package directory -> URIs with diagnostics
        self.analysis_lock = threading.Lock()  # one analysis at a time (they share process state)
        self.stopping = False  # after `shutdown`, an analysis still running publishes nothing

    def report_server_error(self, error: Exception, source: object) -> None:
        # Logged, not shown to the client: after `exit` the client is gone, and telling it about
        # a failed send would fail again, without end.
        logger.error("cgoguard lsp: %s", error)

    @property
    def encoding(self) -> str:
        chosen = self.server_capabilities.position_encoding if self.protocol.server_capabilities else None
        return str(chosen or types.PositionEncodingKind.Utf16.value)

    # ----- analysis ---------------------------------------------------------------------------
    def analyse(self, uri: str) -> None:
        path = Path(to_fs_path(uri) or "")
        if path.suffix != ".go" or not path.is_file():
            return
        with self.analysis_lock:
            if self.stopping:
                return
            findings = self._scan(path.parent)
            if findings is None or self.stopping:
                return
            self._publish(path.parent, findings)

    def _scan(self, directory: Path) -> list[Finding] | None:
        from cgoguard.scan.config import load_config
        from cgoguard.scan.engine import scan

        files = sorted(str(p) for p in directory.glob("*.go"))
        try:
            result = scan(files, load_config(directory))
        except CgoguardError as exc:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                             message=f"cgoguard: {exc}"))
            return None
        for error in result.errors:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Warning,
                                                           message=f"cgoguard: {error.path}: {error.message}"))
        return result.findings

    def _publish(self, directory: Path, findings: list[Finding]) -> None:
        by_uri: dict[str, list[Finding]] = {}
        for finding in findings:
            by_uri.setdefault(path_uri(finding.path), []).append(finding)
        previous = self.published.get(directory, set())
        for uri in sorted(previous | set(by_uri)):
            if self.stopping:
                return
            current = by_uri.get(uri, [])
            self.findings[uri] = current
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=uri, diagnostics=list(self._diagnostics(current))))
        self.published[directory] = set(by_uri)

    def _diagnostics(self, findings: list[Finding]) -> Iterable[types.Diagnostic]:
        sources: dict[str, Positions] = {}
        for finding in findings:
            for path in (finding.path, *(r.path for r in finding.related)):
                if path not in sources:
                    sources[path] = Positions(_read(path), self.encoding)
            yield diagnostic(finding, sources[finding.path], sources)

    def forget(self, uri: str) -> None:
        self.findings.pop(uri, None)
        for uris in self.published.values():
            uris.discard(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # ----- code actions -----------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        from cgoguard.fix.edits import digest

        uri = params.text_document.uri
        current = self.workspace.get_text_document(uri).source.encode("utf-8")
        findings = [f for f in self.findings.get(uri, []) if f.fix is not None
                    and f.fix.digests.get(f.path) == digest(current)]  # the buffer is what was analysed
        positions = Positions(current, self.encoding)
        sources = {f.path: positions for f in findings}
        actions: list[types.CodeAction] = []
        wanted = params.context.only
        if _wants(wanted, types.CodeActionKind.QuickFix):
            for finding in findings:
                value = diagnostic(finding, positions, sources)
                if _overlaps(value.range, params.range):
                    action = quick_fix(finding, uri, positions, value)
                    if action is not None:
                        actions.append(action)
        if _wants(wanted, FIX_ALL_KIND):
            fix_all = _fix_all(uri, findings, current, positions)
            if fix_all is not None:
                actions.append(fix_all)
        return actions


def _fix_all(uri: str, findings: list[Finding], current: bytes, positions: Positions) -> types.CodeAction | None:
    from cgoguard.fix.apply import plan_fixes

    safe = [f for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE]
    plan = plan_fixes(safe, read=lambda _path: current)
    if not plan.files:
        return None
    fixed = plan.files[0].fixed.decode("utf-8", "surrogateescape")
    return types.CodeAction(title=f"cgoguard: fix all ({plan.fixed} safe fix{'es' if plan.fixed != 1 else ''})",
                            kind=FIX_ALL_KIND, edit=whole_document_edit(uri, positions, fixed))


def _wants(only: list[str] | None, kind: str) -> bool:
    """Whether a request limited to ``only`` kinds takes actions of ``kind`` (kinds are
    hierarchical: ``source`` covers ``source.fixAll.cgoguard``)."""
    return not only or any(kind == k or kind.startswith(f"{k}.") for k in map(str, only))


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def _read(path: str) -> bytes:
    try:
        return Path(os.path.abspath(path)).read_bytes()
    except OSError:
        return b""


def create_server() -> CgoguardServer:
    server = CgoguardServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @server.thread()
    def did_open(ls: CgoguardServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    @server.thread()
    def did_save(ls: CgoguardServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CgoguardServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: CgoguardServer, params: None) -> None:
        ls.stopping = True

    @server.feature(types.EXIT)
    def exit_(ls: CgoguardServer, params: None) -> None:
        # pygls closes stdout right after this handler: wait for an analysis thread that is
        # still sending (it stops at its next document, ``stopping`` being set), so that
        # nothing is written to a closed stream.
        ls.stopping = True
        with ls.analysis_lock:
            pass

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]))
    def code_action(ls: CgoguardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    return server


def serve() -> None:
    create_server().start_io()
