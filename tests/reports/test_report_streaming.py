"""A large log streams through in bounded memory, and its reports are all counted."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

from cgoguard.reports import analyze

NOISE = "".join(f"2024-01-01T00:00:{i % 60:02d}Z app-1 | level=info msg=\"served\" path=/items/{i} status=200\n"
                for i in range(2000))
REPORT = """==77==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000038 at pc 0x1 bp 0x2 sp 0x3
READ of size 4 at 0x602000000038 thread T0
    #0 0x5385c5 in item_len /src/app/main.go:18
    #1 0x5385c5 in _cgo_b61d85c710cd_Cfunc_item_len /tmp/go-build/cgo-gcc-prolog:67

SUMMARY: AddressSanitizer: heap-use-after-free /src/app/main.go:18 in item_len
==77==ABORTING
panic: runtime error: cgo argument has Go pointer to unpinned Go pointer

goroutine 1 [running]:
main.main()
\t/src/app/main.go:30 +0x77
exit status 2
"""
TARGET_BYTES = 24 * 1024 * 1024


def test_large_log_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    block = NOISE + REPORT + "x" * 100_000 + "\n"  # plus one very long line per block
    blocks = TARGET_BYTES // len(block) + 1
    with log.open("w") as out:
        for _ in range(blocks):
            out.write(block)
    size = log.stat().st_size
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = analyze([log])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert sorted((f.category, f.count) for f in result.findings) == [
        ("go-pointer-to-go-pointer", blocks), ("use-after-free", blocks)]
    assert result.reports_parsed == 2 * blocks
    # The whole log is ~24 MB; memory stays at the size of a chunk plus the buckets.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB log"
    print(f"{size / 1e6:.0f} MB in {elapsed:.2f}s under tracemalloc, peak {peak / 1e6:.2f} MB")
