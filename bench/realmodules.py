#!/usr/bin/env python3
"""Scan a corpus of real cgo modules, and compare two scans finding by finding.

    python bench/realmodules.py scan OUT [--corpus DIR] [--only NAME,...] [--cgoguard CMD]
    python bench/realmodules.py diff BEFORE AFTER [--rule RULE]
    python bench/realmodules.py list

Every analysis change is judged on real code: scan the corpus before and after the change
(``scan before/``, edit, ``scan after/``), then ``diff before after`` prints each new and
each lost finding with its source line, and a per-rule table of the counts, ready to be
judged true / low-risk / false by reading the code.

The corpus is the module list below, downloaded from the Go module proxy into the Go module
cache (read only: every scan runs with ``--no-cache``), plus any directory of ``--corpus``
(default ``$CGOGUARD_CORPUS`` or ``/work/corpus``) holding repositories checked out by hand
(git2go, go-ceph and go-lxc are not served by the proxy). Nothing here is committed: the
modules are third-party code, read in place.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Real cgo modules served by the Go module proxy, chosen for variety: a vendored amalgamation
# (go-sqlite3, duckdb, go-tree-sitter), wrapper-heavy bindings (kafka, govips, grocksdb,
# gocv, sdl2), small hand-written bindings (zmq4, pkcs11, portaudio, hid), and modules with
# contract packs (sqlite3, librdkafka, libbpf, zstd).
MODULES = (
    "github.com/mattn/go-sqlite3@v1.14.53",
    "github.com/confluentinc/confluent-kafka-go/v2@v2.11.1",
    "github.com/davidbyttow/govips/v2@v2.16.0",
    "github.com/h2non/bimg@v1.1.9",
    "github.com/google/gopacket@v1.1.19",
    "github.com/NVIDIA/go-nvml@v0.13.4-1",
    "github.com/go-gl/glfw/v3.3/glfw@v0.0.0-20260823155953-d41da22a9587",
    "github.com/DataDog/zstd@v1.5.7",
    "github.com/aquasecurity/libbpfgo@v0.5.1-libbpf-1.2",
    "github.com/linxGnu/grocksdb@v1.11.1",
    "gocv.io/x/gocv@v0.41.0",
    "github.com/veandco/go-sdl2@v0.4.39",
    "github.com/gordonklaus/portaudio@v0.0.0-20250206071425-98a94950218b",
    "github.com/pebbe/zmq4@v1.4.0",
    "github.com/miekg/pkcs11@v1.1.2",
    "github.com/karalabe/hid@v1.0.1-0.20240306101548-573246063e52",
    "github.com/godror/godror@v0.40.4",
    "github.com/tecbot/gorocksdb@v0.0.0-20191217155057-f0fad39f321c",
    "github.com/mattn/go-oci8@v0.1.1",
    "github.com/smacker/go-tree-sitter@v0.0.0-20240827094217-dd81d9e9be82",
)


def module_name(spec: str) -> str:
    path = spec.split("@", 1)[0]
    parts = [p for p in path.split("/") if not (p.startswith("v") and p[1:].isdigit())]
    return parts[-1] if parts[-1] not in ("glfw", "x") else "-".join(parts[-2:])


def download(spec: str) -> Path | None:
    result = subprocess.run(["go", "mod", "download", "-json", spec], capture_output=True, text=True,
                            env={**os.environ, "GOFLAGS": "-mod=mod"}, check=False)
    try:
        info = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"{spec}: go mod download failed: {result.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    if info.get("Error") or not info.get("Dir"):
        print(f"{spec}: {info.get('Error', 'no directory')}", file=sys.stderr)
        return None
    return Path(info["Dir"])


def corpus(extra: Path | None) -> dict[str, Path]:
    trees: dict[str, Path] = {}
    for spec in MODULES:
        directory = download(spec)
        if directory is not None:
            trees[module_name(spec)] = directory
    if extra is not None and extra.is_dir():
        for child in sorted(extra.iterdir()):
            if child.is_dir() and not child.name.startswith("."):
                trees.setdefault(child.name, child)
    return trees


def scan(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    command = args.cgoguard.split() if args.cgoguard else [sys.executable, "-m", "cgoguard"]
    for name, directory in corpus(Path(args.corpus)).items():
        if only and name not in only:
            continue
        result = subprocess.run([*command, "scan", "--format", "json", "--no-cache", "--fail-on", "none",
                                 "-q", *args.scan_args, str(directory)],
                                capture_output=True, text=True, check=False, cwd=directory)
        try:
            report = json.loads(result.stdout)
        except json.JSONDecodeError:
            report = {"findings": [], "errors": [{"path": ".", "message": f"exit {result.returncode}: "
                                                                          f"{result.stderr[-500:]}"}]}
        report["root"] = str(directory)
        (out / f"{name}.json").write_text(json.dumps(report, indent=1))
        counts = Counter(f["rule"] for f in report.get("findings", []))
        print(f"{name:24} {sum(counts.values()):4} findings  {dict(sorted(counts.items()))}"
              + (f"  exit {result.returncode}" if result.returncode not in (0, 1) else ""))


def _key(finding: dict) -> tuple:
    return finding["rule"], finding["path"], finding["line"], finding["message"]


def _source_line(root: str, finding: dict) -> str:
    path = Path(finding["path"])
    path = path if path.is_absolute() else Path(root) / path
    try:
        return path.read_text(errors="replace").splitlines()[finding["line"] - 1].strip()
    except (OSError, IndexError):
        return ""


def diff(args: argparse.Namespace) -> None:
    before_dir, after_dir = Path(args.before), Path(args.after)
    names = sorted({p.stem for p in before_dir.glob("*.json")} | {p.stem for p in after_dir.glob("*.json")})
    table: dict[str, Counter] = {}
    for name in names:
        reports = [json.loads(p.read_text()) if p.is_file() else {"findings": []}
                   for p in (before_dir / f"{name}.json", after_dir / f"{name}.json")]
        old = {_key(f): f for f in reports[0].get("findings", []) if not args.rule or f["rule"] == args.rule}
        new = {_key(f): f for f in reports[1].get("findings", []) if not args.rule or f["rule"] == args.rule}
        root = reports[1].get("root") or reports[0].get("root", ".")
        for label, keys, source in (("NEW", new.keys() - old.keys(), new), ("LOST", old.keys() - new.keys(), old)):
            for key in sorted(keys, key=lambda k: (k[1], k[2])):
                finding = source[key]
                table.setdefault(finding["rule"], Counter())[label] += 1
                print(f"{label:4} {name}: {finding['path']}:{finding['line']}: {finding['rule']} "
                      f"[{finding.get('severity', '')}] {finding['message'][:160]}")
                print(f"       | {_source_line(root, finding)[:140]}")
        for rule in Counter(f["rule"] for f in new.values()):
            table.setdefault(rule, Counter())["after"] += sum(1 for f in new.values() if f["rule"] == rule)
        for rule in Counter(f["rule"] for f in old.values()):
            table.setdefault(rule, Counter())["before"] += sum(1 for f in old.values() if f["rule"] == rule)
    print("\n| rule | before | after | new | lost |\n|---|---|---|---|---|")
    for rule in sorted(table):
        c = table[rule]
        print(f"| {rule} | {c['before']} | {c['after']} | {c['NEW']} | {c['LOST']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    scan_parser = sub.add_parser("scan", help="scan every corpus module into OUT/<name>.json")
    scan_parser.add_argument("out")
    scan_parser.add_argument("--corpus", default=os.environ.get("CGOGUARD_CORPUS", "/work/corpus"))
    scan_parser.add_argument("--only", help="comma-separated module names")
    scan_parser.add_argument("--cgoguard", help="command that runs cgoguard (default: this Python's)")
    scan_parser.add_argument("scan_args", nargs="*", help="extra arguments for cgoguard scan (after --)")
    diff_parser = sub.add_parser("diff", help="new and lost findings between two scans, per rule")
    diff_parser.add_argument("before")
    diff_parser.add_argument("after")
    diff_parser.add_argument("--rule")
    list_parser = sub.add_parser("list", help="the corpus: name and directory")
    list_parser.add_argument("--corpus", default=os.environ.get("CGOGUARD_CORPUS", "/work/corpus"))
    args = parser.parse_args()
    if args.command == "scan":
        scan(args)
    elif args.command == "diff":
        diff(args)
    else:
        for name, directory in corpus(Path(args.corpus)).items():
            print(f"{name:24} {directory}")


if __name__ == "__main__":
    main()
