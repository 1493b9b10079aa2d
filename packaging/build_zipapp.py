"""Build cgoguard as one executable file: a zipapp made with shiv.

    python3 packaging/build_zipapp.py            # dist/cgoguard-<version>-<platform>.pyz
    python3 packaging/build_zipapp.py --plot     # with matplotlib, for PNG/SVG charts
    ./dist/cgoguard-0.1.0-linux-x86_64.pyz scan .

The file holds cgoguard and its dependencies; tree-sitter is a native wheel built per
Python version, so the file runs on the platform and the Python minor version it was built
with (its name says which: py311-linux_x86_64). shiv unpacks it once into ~/.shiv
(SHIV_ROOT overrides) on the first run.
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def version() -> str:
    text = (REPO / "src" / "cgoguard" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("cannot find __version__ in src/cgoguard/__init__.py")
    return match.group(1)


def default_output() -> Path:
    tag = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    return REPO / "dist" / f"cgoguard-{version()}-{python}-{tag}.pyz"


def build(output: Path, *, plot: bool = False) -> Path:
    if shutil.which("shiv") is None and not _module_available("shiv"):
        raise SystemExit("shiv is not installed: python3 -m pip install shiv (it is in the test extra)")
    output.parent.mkdir(parents=True, exist_ok=True)
    requirement = f"{REPO}[plot]" if plot else str(REPO)
    command = [sys.executable, "-m", "shiv", "--console-script", "cgoguard", "--output-file", str(output),
               "--python", "/usr/bin/env python3", "--compressed", "--reproducible", requirement]
    subprocess.run(command, check=True)
    return output


def _module_available(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(name) is not None


def main() -> int:
    parser = argparse.ArgumentParser(description="Build cgoguard as a single executable zipapp (shiv).")
    parser.add_argument("-o", "--output", type=Path, help="the .pyz to write (default: dist/cgoguard-...pyz)")
    parser.add_argument("--plot", action="store_true", help="include matplotlib (the plot extra)")
    args = parser.parse_args()
    built = build(args.output or default_output(), plot=args.plot)
    print(f"built {built} ({built.stat().st_size / 1e6:.1f} MB) for {platform.system()} "
          f"{platform.machine()}, Python {sys.version_info.major}.{sys.version_info.minor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
