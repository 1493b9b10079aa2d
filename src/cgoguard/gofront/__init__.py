"""Go front end: package discovery, build constraints, tree-sitter parsing, the cgo preamble,
the package symbol table and local type inference."""

from cgoguard.gofront.buildtags import BuildTarget
from cgoguard.gofront.discover import Discovery, DiscoveryOptions, PackageSources, discover
from cgoguard.gofront.gofile import GoFile
from cgoguard.gofront.package import Package, load_packages

__all__ = [
    "BuildTarget", "Discovery", "DiscoveryOptions", "GoFile", "Package", "PackageSources",
    "discover", "load_packages",
]
