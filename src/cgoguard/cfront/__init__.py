"""C front end: the cgo preamble, the package's C files and their quoted includes, parsed with
tree-sitter-c into a model of functions, records, typedefs and globals."""

from cgoguard.cfront.build import build_c_model
from cgoguard.cfront.model import CFunction, CGlobal, CMember, CModel, CParam, CRecord, CTypedef, CUnit

__all__ = ["CFunction", "CGlobal", "CMember", "CModel", "CParam", "CRecord", "CTypedef", "CUnit", "build_c_model"]
