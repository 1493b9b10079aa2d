"""Extra build configurations, so that every file of a package is analysed under some build.

A package is analysed under the scan's target (linux/amd64 with cgo and no tags by default).
Files that target leaves out (``//go:build sqlite_trace``, ``//go:build !cgo``, ``_darwin.go``)
would never be analysed; for them this module derives a few more targets from the files' own
constraints:

* for each left-out file, the target closest to the default that includes it: its custom
  tags switched on, its OS (only within the default's family: the other Unixes for a Unix
  target), its architecture, or cgo switched off;
* those are merged greedily (the tags of several optional files in one target, as long as
  every file merged still builds), so a package with twenty ``sqlite_*`` option files gets
  one extra build, not twenty;
* at most ``limit`` extra builds per package; files that fit none stay unanalysed.

An optional file that only adds declarations (``sqlite_trace``'s tracing functions, a
``_darwin.go`` file without a Linux twin) joins the target's files instead: one analysis of
the package covers it. Each extra build is analysed in full (a function in a shared file may behave differently once an
optional file is in), and the scan keeps one copy of findings seen under several builds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from cgoguard.gofront.buildtags import (
    KNOWN_ARCH,
    KNOWN_OS,
    UNIX_OS,
    BuildTarget,
    ConstraintSyntaxError,
    file_included,
    header_constraints,
)

# Tags that never describe a configuration worth analysing: `ignore` marks files outside
# every build (generators), gccgo is another compiler.
_NEVER_ENABLED = frozenset({"ignore", "gccgo"})
_SPECIAL = frozenset({"cgo", "unix", "gc"}) | _NEVER_ENABLED
_TAG_WORD = re.compile(r"[\w.]+")
_MAX_TRIED = 128  # assignments tried per file before giving up on it
_MAX_TAGS_ADDED = 3  # custom tags switched on for one file
_MAX_ENVIRONMENTS = 16  # (GOOS, GOARCH, cgo) combinations tried per file
DEFAULT_EXTRA_BUILDS = 3


@dataclass(frozen=True)
class Candidate:
    """A Go file of the directory, with what its build constraint needs to be evaluated."""

    name: str
    header: str  # the text before the package clause (at least)
    imports_c: bool
    # False for a file of imports only (`#cgo` flags for one platform): nothing to analyse.
    has_declarations: bool = True
    declarations: frozenset[str] = frozenset()  # top-level names ("F", "T", "T.M"), see declared_names


_DECLARATION = re.compile(
    rb"^(?:func[ \t]*(?:\([^)\n]*?(\w+)(?:\[[^\]\n]*\])?[ \t]*\))?[ \t]*(\w+)|(?:type|var|const)[ \t]+(\w+))",
    re.MULTILINE)


def declared_names(source: bytes) -> frozenset[str]:
    """The top-level names a Go file declares, read line by line (gofmt puts top-level
    declarations at column 0): enough to tell whether two files may share a build."""
    names = set()
    for receiver, func, other in _DECLARATION.findall(source):
        name = (func or other).decode("utf-8", "replace")
        if name not in ("init", "_", "main"):
            names.add(f"{receiver.decode('utf-8', 'replace')}.{name}" if receiver else name)
    return frozenset(names)


@dataclass(frozen=True)
class ExtraBuild:
    target: BuildTarget
    label: str  # "tags=sqlite_trace", "goos=darwin", "cgo=off", ...
    files: tuple[int, ...]  # indexes of the candidates this target builds


def includes(candidate: Candidate, target: BuildTarget) -> bool:
    """go/build's file selection: name suffixes, constraints, and no cgo files without cgo."""
    if candidate.imports_c and not target.cgo:
        return False
    try:
        return file_included(candidate.name, candidate.header, target)
    except ConstraintSyntaxError:
        return False


@dataclass
class BuildPlan:
    """How the files of a directory are analysed: with the target (plus the optional files in
    ``joined``, by index, with the label of the tags that enable each), and under ``builds``."""

    joined: dict[int, str] = field(default_factory=dict)
    builds: list[ExtraBuild] = field(default_factory=list)


def plan_builds(candidates: Sequence[Candidate], base: BuildTarget,
                limit: int = DEFAULT_EXTRA_BUILDS) -> BuildPlan:
    """Analyse every candidate ``base`` leaves out, at the least cost.

    A left-out file whose own target (tags switched on, another Unix) keeps every file of
    ``base`` and that declares no name another file of the build declares simply joins the
    target's files: the package is still analysed once. The others get extra targets, merged
    greedily, at most ``limit`` of them."""
    plan = BuildPlan()
    default = {i for i, c in enumerate(candidates) if includes(c, base)}
    needs = {i: t for i, c in enumerate(candidates) if i not in default and c.has_declarations
             and (t := _closest_target(c, base)) is not None}
    names = set().union(*(candidates[i].declarations for i in default))
    for index, target in sorted(needs.items()):
        if not names & candidates[index].declarations and all(includes(candidates[i], target) for i in default):
            plan.joined[index] = describe(target, base)
            names |= candidates[index].declarations
    for index in plan.joined:
        needs.pop(index)
    while needs and len(plan.builds) < limit:
        target, group = _merge_group(candidates, needs)
        files = tuple(i for i, c in enumerate(candidates) if includes(c, target))
        plan.builds.append(ExtraBuild(target, describe(target, base), files))
        for index in (*group, *files):
            needs.pop(index, None)
    return plan


def describe(target: BuildTarget, base: BuildTarget) -> str:
    """How ``target`` differs from ``base``, as a user would pass it to the go command."""
    parts = []
    if target.goos != base.goos:
        parts.append(f"goos={target.goos}")
    if target.goarch != base.goarch:
        parts.append(f"goarch={target.goarch}")
    if target.cgo != base.cgo:
        parts.append("cgo=" + ("on" if target.cgo else "off"))
    added = sorted(target.tags - base.tags)
    if added:
        parts.append("tags=" + ",".join(added))
    return " ".join(parts) or "default"


def _merge_group(candidates: Sequence[Candidate], needs: dict[int, BuildTarget]) -> tuple[BuildTarget, list[int]]:
    """The first left-out file's target, widened by the targets of as many others as still
    build together with it."""
    order = sorted(needs)
    target, group = needs[order[0]], [order[0]]
    for index in order[1:]:
        merged = _merge(target, needs[index])
        if merged is not None and all(includes(candidates[i], merged) for i in (*group, index)):
            target = merged
            group.append(index)
    return target, group


def _merge(a: BuildTarget, b: BuildTarget) -> BuildTarget | None:
    """Both sets of tags, for two targets of the same platform (a finding's build label then
    names one platform change at most)."""
    if (a.goos, a.goarch, a.cgo) != (b.goos, b.goarch, b.cgo):
        return None
    return replace(a, tags=a.tags | b.tags)


def _closest_target(candidate: Candidate, base: BuildTarget) -> BuildTarget | None:
    """The target nearest to ``base`` that builds ``candidate`` (fewest changes first)."""
    words = _constraint_words(candidate)
    if words & _NEVER_ENABLED:
        return None
    family = UNIX_OS if base.goos in UNIX_OS else frozenset({base.goos})
    systems = [base.goos, *sorted(w for w in words if w in KNOWN_OS and w in family and w != base.goos)]
    arches = [base.goarch, *sorted(w for w in words if w in KNOWN_ARCH and w != base.goarch)]
    cgo = [base.cgo, not base.cgo] if "cgo" in words else [base.cgo]
    custom = sorted(w for w in words if w not in KNOWN_OS and w not in KNOWN_ARCH and w not in _SPECIAL
                    and not w.startswith("go1."))
    environments = sorted(itertools.product(systems, arches, cgo), key=lambda env: (
        env[0] != base.goos) + (env[1] != base.goarch) + (env[2] != base.cgo))[:_MAX_ENVIRONMENTS]
    subsets = [tags for size in range(min(len(custom), _MAX_TAGS_ADDED) + 1)
               for tags in itertools.islice(itertools.combinations(custom, size), _MAX_TRIED)]
    options = sorted(((goos != base.goos) + (goarch != base.goarch) + (with_cgo != base.cgo) + len(tags),
                      goos, goarch, with_cgo, tags)
                     for goos, goarch, with_cgo in environments for tags in subsets)
    for _, goos, goarch, with_cgo, tags in options[:_MAX_TRIED]:
        target = replace(base, goos=goos, goarch=goarch, cgo=with_cgo, tags=base.tags | frozenset(tags))
        if includes(candidate, target):
            return target
    return None


def _constraint_words(candidate: Candidate) -> set[str]:
    """Every tag the file's name and build constraint mention."""
    go_build, plus_build = header_constraints(candidate.header)
    words = set(_TAG_WORD.findall(go_build or " ".join(plus_build)))
    stem = candidate.name.rsplit(".", 1)[0].removesuffix("_test")
    words.update(part for part in stem.split("_")[1:] if part in KNOWN_OS or part in KNOWN_ARCH)
    return words
