"""Go CPU profiles (``runtime/pprof``, ``go test -cpuprofile``): gzipped ``profile.proto``.

The format (github.com/google/pprof, proto/profile.proto) is small enough to decode from the
protobuf wire format directly: a ``Profile`` holds sample types, samples (location ids, leaf
first, and one value per sample type), locations (an address and the inlined ``Line``s at it,
innermost first), functions and a string table. Unknown fields are skipped, as protobuf
requires; repeated scalars are read packed or not.

What a Go CPU profile can say about cgo is limited: without a cgo traceback hook
(``runtime.SetCgoTraceback``) a sample taken while a thread runs C is charged to
``runtime.cgocall`` under the Go caller, so C functions, libraries and the cost of the
transition itself are invisible. The attribution says so in its output.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from cgoguard.profile.model import Frame, StackCounts

MAX_DECOMPRESSED = 512 * 1024 * 1024  # a CPU profile of hours is tens of MiB
GZIP_MAGIC = b"\x1f\x8b"


class ProfileFormatError(ValueError):
    """The bytes are not a pprof profile (or a damaged one)."""


# -- protobuf wire format ------------------------------------------------------------------------
def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise ProfileFormatError("truncated varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7
        if shift >= 70:
            raise ProfileFormatError("varint longer than 10 bytes")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field of one message."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProfileFormatError("field number 0")
        if wire == 0:
            value, position = _varint(data, position)
            yield number, wire, value
        elif wire == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise ProfileFormatError("length-delimited field runs past the end")
            yield number, wire, data[position:position + length]
            position += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if position + size > len(data):
                raise ProfileFormatError("fixed-size field runs past the end")
            yield number, wire, int.from_bytes(data[position:position + size], "little")
            position += size
        else:
            raise ProfileFormatError(f"unsupported wire type {wire}")


def _repeated(wire: int, value: int | bytes) -> list[int]:
    """A repeated integer field's values: packed (wire type 2) or one (wire type 0)."""
    if isinstance(value, int):
        return [value]
    values, position = [], 0
    while position < len(value):
        item, position = _varint(value, position)
        values.append(item)
    return values


def _signed64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


# -- the Profile message -------------------------------------------------------------------------
@dataclass
class _Function:
    name: int = 0
    system_name: int = 0
    filename: int = 0


@dataclass
class _Location:
    address: int = 0
    mapping: int = 0
    lines: list[tuple[int, int]] = field(default_factory=list)  # (function id, line), innermost first


@dataclass
class PprofProfile:
    sample_types: list[tuple[str, str]]  # (type, unit): ("samples", "count"), ("cpu", "nanoseconds")
    samples: list[tuple[list[int], list[int]]]  # (location ids leaf first, values)
    locations: dict[int, _Location]
    functions: dict[int, _Function]
    strings: list[str]
    mappings: dict[int, str]  # id -> file name
    period_type: tuple[str, str] = ("", "")
    period: int = 0
    duration_nanos: int = 0
    default_sample_type: str = ""

    def string(self, index: int) -> str:
        return self.strings[index] if 0 <= index < len(self.strings) else ""


def decode(data: bytes) -> PprofProfile:
    """A ``Profile`` message (already decompressed)."""
    raw_types: list[tuple[int, int]] = []
    samples: list[tuple[list[int], list[int]]] = []
    locations: dict[int, _Location] = {}
    functions: dict[int, _Function] = {}
    strings: list[str] = []
    mappings: dict[int, int] = {}
    period_type = (0, 0)
    period = duration = default_type = 0
    for number, _, value in fields(data):
        if number == 1 and isinstance(value, bytes):
            raw_types.append(_value_type(value))
        elif number == 2 and isinstance(value, bytes):
            samples.append(_sample(value))
        elif number == 3 and isinstance(value, bytes):
            mapping_id, filename = _mapping(value)
            mappings[mapping_id] = filename
        elif number == 4 and isinstance(value, bytes):
            location_id, location = _location(value)
            locations[location_id] = location
        elif number == 5 and isinstance(value, bytes):
            function_id, function = _function(value)
            functions[function_id] = function
        elif number == 6 and isinstance(value, bytes):
            strings.append(value.decode("utf-8", "replace"))
        elif number == 10 and isinstance(value, int):
            duration = value
        elif number == 11 and isinstance(value, bytes):
            period_type = _value_type(value)
        elif number == 12 and isinstance(value, int):
            period = _signed64(value)
        elif number == 14 and isinstance(value, int):
            default_type = value
    if not strings or strings[0] != "":
        raise ProfileFormatError("no string table (string 0 must be empty)")

    def text(index: int) -> str:
        return strings[index] if 0 <= index < len(strings) else ""

    return PprofProfile(
        sample_types=[(text(t), text(u)) for t, u in raw_types], samples=samples, locations=locations,
        functions=functions, strings=strings, mappings={k: text(v) for k, v in mappings.items()},
        period_type=(text(period_type[0]), text(period_type[1])), period=period, duration_nanos=duration,
        default_sample_type=text(default_type))


def _value_type(data: bytes) -> tuple[int, int]:
    kind = unit = 0
    for number, _, value in fields(data):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, int):
            unit = value
    return kind, unit


def _sample(data: bytes) -> tuple[list[int], list[int]]:
    location_ids: list[int] = []
    values: list[int] = []
    for number, wire, value in fields(data):
        if number == 1:
            location_ids += _repeated(wire, value)
        elif number == 2:
            values += [_signed64(v) for v in _repeated(wire, value)]
    return location_ids, values


def _mapping(data: bytes) -> tuple[int, int]:
    mapping_id = filename = 0
    for number, _, value in fields(data):
        if number == 1 and isinstance(value, int):
            mapping_id = value
        elif number == 5 and isinstance(value, int):
            filename = value
    return mapping_id, filename


def _location(data: bytes) -> tuple[int, _Location]:
    location_id = 0
    location = _Location()
    for number, _, value in fields(data):
        if number == 1 and isinstance(value, int):
            location_id = value
        elif number == 2 and isinstance(value, int):
            location.mapping = value
        elif number == 3 and isinstance(value, int):
            location.address = value
        elif number == 4 and isinstance(value, bytes):
            function_id = line = 0
            for inner, _, item in fields(value):
                if inner == 1 and isinstance(item, int):
                    function_id = item
                elif inner == 2 and isinstance(item, int):
                    line = _signed64(item)
            location.lines.append((function_id, line))
    return location_id, location


def _function(data: bytes) -> tuple[int, _Function]:
    function_id = 0
    function = _Function()
    for number, _, value in fields(data):
        if number == 1 and isinstance(value, int):
            function_id = value
        elif number == 2 and isinstance(value, int):
            function.name = value
        elif number == 3 and isinstance(value, int):
            function.system_name = value
        elif number == 4 and isinstance(value, int):
            function.filename = value
    return function_id, function


# -- reading files --------------------------------------------------------------------------------
def decompress(raw: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    """The protobuf bytes of a (usually gzipped) profile, refusing more than ``limit`` bytes."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
                if out.tell() > limit:
                    raise ProfileFormatError(f"decompresses to more than {limit >> 20} MiB")
    except (OSError, EOFError, zlib.error) as exc:
        raise ProfileFormatError(f"damaged gzip data: {exc}") from exc
    return out.getvalue()


def looks_like_pprof(head: bytes) -> bool:
    return head.startswith(GZIP_MAGIC)


def stack_counts(profile: PprofProfile, source: str = "pprof") -> StackCounts:
    """Counted stacks (leaf first, inlined frames expanded) weighted by the sample count."""
    count_index, time_index = _value_indexes(profile.sample_types)
    event = profile.period_type[0] or (profile.sample_types[0][0] if profile.sample_types else "")
    counts = StackCounts(source, event=event or "cpu")
    frames_at: dict[int, tuple[Frame, ...]] = {}
    for location_ids, values in profile.samples:
        count = _value(values, count_index)
        if count <= 0:
            continue
        stack: list[Frame] = []
        for location_id in location_ids:
            frames = frames_at.get(location_id)
            if frames is None:
                frames = frames_at[location_id] = _frames(profile, location_id)
            stack += frames
        counts.add(tuple(stack), count)
        if time_index is not None:
            counts.nanoseconds += max(_value(values, time_index), 0)
    if count_index is None and profile.sample_types:
        counts.notes.append(f"no sample-count value in the profile: weighted by {profile.sample_types[0][0]}")
    return counts


def _value_indexes(types: list[tuple[str, str]]) -> tuple[int | None, int | None]:
    count = next((i for i, (kind, unit) in enumerate(types) if unit == "count" or kind == "samples"), None)
    time = next((i for i, (_, unit) in enumerate(types) if unit == "nanoseconds"), None)
    return count, time


def _value(values: list[int], index: int | None) -> int:
    if index is None:
        return values[0] if values else 0
    return values[index] if index < len(values) else 0


def _frames(profile: PprofProfile, location_id: int) -> tuple[Frame, ...]:
    location = profile.locations.get(location_id)
    if location is None:
        return (Frame(function="", address=0),)
    module = profile.mappings.get(location.mapping, "")
    if not location.lines:
        return (Frame(function="", module=module, address=location.address),)
    frames = []
    last = len(location.lines) - 1
    for index, (function_id, line) in enumerate(location.lines):
        function = profile.functions.get(function_id, _Function())
        name = profile.string(function.name) or profile.string(function.system_name)
        frames.append(Frame(function=name, module=module, address=location.address,
                            path=profile.string(function.filename), line=max(line, 0), inlined=index < last))
    return tuple(frames)


def parse_pprof(raw: bytes, source: str = "pprof") -> StackCounts:
    """Counted stacks of a profile file's bytes (:class:`ProfileFormatError` when it is not one)."""
    profile = decode(decompress(raw))
    if not profile.sample_types:
        raise ProfileFormatError("no sample types: not a pprof profile")
    counts = stack_counts(profile, source)
    kinds = ", ".join(f"{kind}/{unit}" for kind, unit in profile.sample_types)
    if not any(kind in ("cpu", "samples") for kind, _ in profile.sample_types):
        counts.notes.append(f"this profile measures {kinds}, not CPU time: shares are of that quantity")
    return counts
