"""Loaded Go packages: their parsed files (:mod:`.gofile`), symbols and C model."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from cgoguard.cfront.build import CSourceInput, build_c_model, include_dirs
from cgoguard.cfront.model import CModel, CTypedef
from cgoguard.findings import InputError
from cgoguard.gofront.buildtags import BuildTarget, eval_plus_build
from cgoguard.gofront.cgotypes import nil_compared_c_types
from cgoguard.gofront.discover import PackageSources, SourceFile, display_path
from cgoguard.gofront.gofile import GoFile, load_go_file
from cgoguard.gofront.index import SyntaxIndex
from cgoguard.gofront.symbols import SymbolTable, collect_symbols
from cgoguard.safeio import ReadScope


class ModuleFacts(Protocol):
    """What the front end reads of the facts the scan attaches to a package (those of the
    module packages it imports, :class:`cgoguard.analysis.facts.ImportedFacts`): the result
    types of their functions and methods, to type ``b := cutil.NewBuf(); b.Close()``."""

    def __bool__(self) -> bool: ...

    def result_type(self, key: str, index: int) -> str: ...

    def method(self, type_path: str, method: str) -> tuple[str, Any] | None: ...


@dataclass
class Package:
    dir: Path
    display_dir: str
    name: str
    files: list[GoFile]
    c_files: list[SourceFile] = field(default_factory=list)
    target: BuildTarget = field(default_factory=BuildTarget)
    errors: list[InputError] = field(default_factory=list)
    only: set[str] | None = None  # report findings only in these files (None: all)
    roots: tuple[Path, ...] = ()  # where what the files name may be read (PackageSources.roots)
    import_path: str = ""  # "" outside a module (or for an external test package)
    # Facts of the module packages it imports (cgoguard.analysis.facts), set by the scan.
    facts: ModuleFacts | None = None

    @cached_property
    def scope(self) -> ReadScope:
        return ReadScope(self.roots or (self.dir,))

    @property
    def uses_cgo(self) -> bool:
        return any(f.uses_cgo for f in self.files)

    @cached_property
    def symbols(self) -> SymbolTable:
        return collect_symbols(self.files)

    @cached_property
    def syntax_index(self) -> SyntaxIndex:
        """All named nodes of the package's files; activate it with
        :func:`cgoguard.gofront.index.using_index` around an analysis of the package."""
        return SyntaxIndex(f.root for f in self.files)

    @cached_property
    def cgo_directives(self) -> list:
        """``#cgo`` lines whose GOOS/GOARCH/tag condition holds for the target."""
        return [d for f in self.files if f.preamble for d in f.preamble.directives
                if not d.condition or eval_plus_build([d.condition], self.target)]

    @cached_property
    def include_dirs(self) -> list[Path]:
        flags = [d.value for d in self.cgo_directives if d.kind in ("CFLAGS", "CPPFLAGS", "CXXFLAGS")]
        return include_dirs(flags, self.dir, self.scope)

    @cached_property
    def c(self) -> CModel:
        inputs = [CSourceInput(f.display_path, f.preamble.c_source, f.path.parent, is_preamble=True)
                  for f in self.files if f.preamble is not None and not f.preamble.is_empty]
        inputs += [CSourceInput(c.display_path, c.data, c.path.parent) for c in self.c_files]
        model = build_c_model(inputs, self.include_dirs, display=display_path, scope=self.scope)
        self.errors.extend(InputError(path, message) for path, message in model.errors)
        # Handle types of headers the tree lacks: Go compares them to nil, so they are pointers.
        for name, evidence in nil_compared_c_types(self.files, self.symbols).items():
            if name not in model.typedefs:
                model.typedefs[name] = CTypedef(name, "void", pointer_depth=1, inferred_from=evidence)
        return model

    def file(self, display: str) -> GoFile | None:
        return next((f for f in self.files if f.display_path == display), None)

    def reports_on(self, file: GoFile) -> bool:
        return self.only is None or file.display_path in self.only


def load_packages(sources: PackageSources, target: BuildTarget | None = None, *,
                  go_files: list[SourceFile] | None = None, c_files: list[SourceFile] | None = None) -> list[Package]:
    """Parse a directory's files; one Package per package clause (``x`` and ``x_test``).

    ``go_files`` and ``c_files`` replace the directory's files for another build of it (see
    :attr:`PackageSources.extra_builds`).
    """
    target = target or BuildTarget()
    go_files = sources.go_files if go_files is None else go_files
    c_files = sources.c_files if c_files is None else c_files
    by_name: dict[str, Package] = {}
    errors: list[InputError] = []
    for source in go_files:
        file, error = load_go_file(source)
        if error is not None:
            errors.append(error)
        if file.syntax_error and not file.package_name:
            continue  # not even a package clause: nothing to analyse
        name = file.package_name or "main"
        if name not in by_name:
            path = sources.import_path + "_test" if sources.import_path and name.endswith("_test") \
                else sources.import_path
            by_name[name] = Package(sources.dir, sources.display_dir, name, [], list(c_files), target,
                                    only=sources.only, roots=sources.roots, import_path=path)
        by_name[name].files.append(file)
    packages = sorted(by_name.values(), key=lambda p: (p.name.endswith("_test"), p.name))
    if packages:
        packages[0].errors.extend(errors)
    elif errors:
        # Every file failed to parse: keep the errors on an empty package so they surface.
        packages = [Package(sources.dir, sources.display_dir, "", [], [], target, errors, sources.only,
                            sources.roots)]
    return packages
