"""Small questions about C declarations that several evidence readers ask."""

from __future__ import annotations

from cgoguard.cfront.model import CFunction, CModel, CParam


def returns_pointer(model: CModel, function: CFunction) -> bool:
    """Whether the result is a pointer, spelled out or through a typedef (``HANDLE f(void)``)."""
    return function.returns_pointer or model.is_pointer_type(function.return_type)


def is_pointer_param(model: CModel, param: CParam) -> bool:
    return param.is_pointer or model.is_pointer_type(param.type)


def canonical_type(model: CModel, type_name: str) -> str:
    """``foo_t`` -> ``struct foo`` through non-pointer typedefs."""
    for _ in range(16):
        typedef = model.typedefs.get(type_name)
        if typedef is None or typedef.pointer_depth or typedef.is_function_pointer:
            break
        type_name = typedef.type
    return type_name
