"""The pprof decoder on profiles built here with a small protobuf writer, damaged and random bytes."""

from __future__ import annotations

import contextlib
import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgoguard.profile.pprof import ProfileFormatError, decode, decompress, parse_pprof


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: int | bytes) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _packed(values: list[int]) -> bytes:
    return b"".join(_varint(v) for v in values)


def profile_bytes(*, packed: bool = True) -> bytes:
    """samples/count + cpu/nanoseconds; stacks leaf first; location 3 holds an inlined call."""
    strings = ["", "samples", "count", "cpu", "nanoseconds", "runtime.cgocall", "main._Cfunc_spin",
               "main.heavy", "main.main", "/src/main.go", "/go/src/runtime/cgocall.go", "_cgo_gotypes.go"]
    string_index = {s: i for i, s in enumerate(strings)}
    out = bytearray()
    out += _field(1, _field(1, string_index["samples"]) + _field(2, string_index["count"]))
    out += _field(1, _field(1, string_index["cpu"]) + _field(2, string_index["nanoseconds"]))
    for locations, values in (([1, 2, 3], [30, 300_000_000]), ([1, 2, 3], [10, 100_000_000])):
        if packed:
            out += _field(2, _field(1, _packed(locations)) + _field(2, _packed(values)))
        else:
            out += _field(2, b"".join(_field(1, v) for v in locations) + b"".join(_field(2, v) for v in values))
    out += _field(3, _field(1, 1) + _field(5, 0))
    functions = [(1, "runtime.cgocall", "/go/src/runtime/cgocall.go"), (2, "main._Cfunc_spin", "_cgo_gotypes.go"),
                 (3, "main.heavy", "/src/main.go"), (4, "main.main", "/src/main.go")]
    for function_id, name, filename in functions:
        out += _field(5, _field(1, function_id) + _field(2, string_index[name]) + _field(4, string_index[filename]))
    lines = {1: [(1, 167)], 2: [(2, 61)], 3: [(3, 28), (4, 50)]}
    for location_id, entries in lines.items():
        body = _field(1, location_id) + _field(2, 1) + _field(3, 0x400000 + location_id)
        body += b"".join(_field(4, _field(1, f) + _field(2, line)) for f, line in entries)
        out += _field(4, body)
    out += b"".join(_field(6, s.encode()) for s in strings)
    out += _field(11, _field(1, string_index["cpu"]) + _field(2, string_index["nanoseconds"]))
    out += _field(12, 10_000_000)
    return gzip.compress(bytes(out))


@pytest.mark.parametrize("packed", [True, False])
def test_decodes_samples_locations_and_inlined_lines(packed: bool) -> None:
    counts = parse_pprof(profile_bytes(packed=packed))
    assert counts.samples == 40 and counts.nanoseconds == 400_000_000 and counts.event == "cpu"
    (stack,) = counts.stacks
    assert [(f.function, f.line, f.inlined) for f in stack] == [
        ("runtime.cgocall", 167, False), ("main._Cfunc_spin", 61, False), ("main.heavy", 28, True),
        ("main.main", 50, False)]
    assert stack[2].path == "/src/main.go"


def test_attribution_charges_pprof_c_time_to_the_caller() -> None:
    from cgoguard.profile.attribute import attribute

    result = attribute(parse_pprof(profile_bytes()))
    (site,) = result.call_sites
    assert (site.function, site.line, site.c_function, site.samples) == ("main.heavy", 28, "spin", 40)
    assert not result.c_visible and not result.transitions


@pytest.mark.parametrize("data, message", [
    (b"", "no sample types|no string table"),
    (gzip.compress(b"\x0a\x05\x08"), "runs past the end"),
    (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    (profile_bytes()[:-20], "damaged gzip"),
    (gzip.compress(b"\x0f" * 10), "wire type"),
    (gzip.compress(b"\x08" + b"\xff" * 12), "varint"),
])
def test_damaged_profiles_raise_a_format_error(data: bytes, message: str) -> None:
    with pytest.raises(ProfileFormatError, match=message):
        parse_pprof(data)


def test_decompression_is_bounded() -> None:
    with pytest.raises(ProfileFormatError, match="more than"):
        decompress(gzip.compress(b"\0" * (3 << 20)), limit=1 << 20)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_decode_raises_only_format_errors(data: bytes) -> None:
    with contextlib.suppress(ProfileFormatError):
        decode(data)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fuzz_mutated_profiles(data: st.DataObject) -> None:
    raw = bytearray(gzip.decompress(profile_bytes()))
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(ProfileFormatError):
        parse_pprof(gzip.compress(bytes(raw)))
