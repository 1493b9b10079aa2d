"""Human-readable text for ``cgoguard gc``: a summary, then the per-cycle table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgoguard.gc.analysis import NS_PER_S, GcAnalysis
from cgoguard.gc.stats import Distribution, ms

if TYPE_CHECKING:
    from cgoguard.gc.correlate import Correlation

# Beyond this many cycles the text table lists the longest pauses only (JSON has every cycle).
MAX_TABLE_ROWS = 60


def _dist_line(label: str, d: Distribution) -> str:
    if not d.count:
        return f"  {label:<22} -"
    return (f"  {label:<22} n={d.count}  total {ms(d.total_ns):g}  max {ms(d.max_ns):g}  "
            f"p50 {ms(d.p50_ns):g}  p90 {ms(d.p90_ns):g}  p99 {ms(d.p99_ns):g}  "
            f"p99.9 {ms(d.p99_9_ns):g}  (ms)")


def render_summary(a: GcAnalysis) -> list[str]:
    s = a.summary()
    lines = [f"GC cycles: {s['cycles']} ({s['forced_cycles']} forced) in {s['runs']} run(s); "
             f"formats: {', '.join(s['formats']) or '-'}"]
    for run in a.runs:
        rate = f"{run.cycles_per_s:g} cycles/s" if run.cycles_per_s else "rate n/a"
        gap = f", {run.missing_cycles} cycle numbers missing" if run.missing_cycles else ""
        lines.append(f"  run {run.index}: gc {run.first_number}..{run.last_number} from {run.source}, "
                     f"{run.span_s:.3f} s, {rate}{gap}")
    lines += [
        "Stop-the-world (nearest-rank percentiles):",
        _dist_line("per cycle", a.per_cycle),
        _dist_line("each pause", a.pauses),
        _dist_line("sweep termination", a.sweep_termination),
        _dist_line("mark termination", a.mark_termination),
        f"GC CPU: {s['gc_cpu_ms']:g} ms (assists {s['assist_share_of_gc_cpu'] * 100:.1f}%); "
        f"max per {a.window_s:g} s window {s['gc_cpu_fraction_max'] * 100:.1f}% of GOMAXPROCS",
        f"Heap: live max {s['heap_live_max_mb']} MB, goal max {s['heap_goal_max_mb']} MB",
        f"Lines: {s['lines']} ({s['pacer_lines']} pacer, {s['scavenger_lines']} scavenger, "
        f"{s['other_lines']} other, {s['damaged_gc_lines']} damaged gc lines)",
    ]
    return lines


def render_table(a: GcAnalysis) -> list[str]:
    cycles = a.cycles
    title = "Cycles (wall ms: sweep termination, concurrent mark, mark termination; CPU ms: mark assist, background, idle):"
    if len(cycles) > MAX_TABLE_ROWS:
        cycles = sorted(sorted(cycles, key=lambda c: -c.stw_ns)[:MAX_TABLE_ROWS],
                        key=lambda c: (c.run, c.start_ns, c.line))
        title = f"Cycles (the {MAX_TABLE_ROWS} longest pauses of {len(a.cycles)}; --format json lists all):"
    # Clock columns are wall ms (sweep termination, concurrent mark, mark termination); the
    # assist/background/idle columns are mark CPU ms.
    header = (f"{'run':>3} {'gc':>6} {'start s':>10} {'STW ms':>9} {'sweepT':>8} {'concur':>8} {'markT':>8} "
              f"{'assist':>8} {'bg':>8} {'idle':>8} {'heap MB':>15} {'goal':>6} {'P':>3}")
    rows = [title, header]
    for c in cycles:
        heap = f"{c.heap_start_mb}->{c.heap_end_mb}->{'' if c.heap_live_mb is None else c.heap_live_mb}"
        rows.append(
            f"{c.run:>3} {c.number:>6} {c.start_ns / NS_PER_S:>10.3f} {ms(c.stw_ns):>9g} "
            f"{ms(c.sweep_term_ns):>8g} {ms(c.concurrent_ns):>8g} {ms(c.mark_term_ns):>8g} "
            f"{ms(c.assist_cpu_ns):>8g} {ms(c.background_cpu_ns):>8g} {ms(c.idle_cpu_ns):>8g} "
            f"{heap:>15} {'' if c.heap_goal_mb is None else c.heap_goal_mb:>6} {c.procs:>3}"
            f"{' forced' if c.forced else ''}")
    return rows


def render_text(a: GcAnalysis | None, correlation: Correlation | None) -> str:
    sections: list[list[str]] = []
    if a is not None and a.cycles:
        sections += [render_summary(a), render_table(a)]
    if correlation is not None:
        sections.append(correlation.text_lines())
    findings = [f for f in ([] if a is None else a.findings) + ([] if correlation is None
                                                              else correlation.findings)]
    if findings:
        sections.append(["Findings:"] + [f"  {f.severity.value}: {f.rule}: {f.message} ({f.path}:{f.line})"
                                         for f in findings])
    errors = ([] if a is None else a.errors) + ([] if correlation is None else correlation.errors)
    if errors:
        sections.append([f"{e.path}: error: {e.message}" for e in errors])
    return "\n\n".join("\n".join(section) for section in sections) + "\n"
