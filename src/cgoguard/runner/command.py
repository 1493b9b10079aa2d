"""Turn the user's command into the command a check runs.

``go test|run|build|install ...`` get the check's build flags right after the sub-command
(where cmd/go expects flags); ``go test`` and ``go run`` also get ``-exec`` so each Go
process logs into its own directory. Any other command (a script, ``make``) gets the flags
through ``GOFLAGS``, which every ``go`` it starts reads.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from cgoguard.runner import execwrap

DEFAULT_COMMAND = ("go", "test", "./...")
GO_BUILD_SUBCOMMANDS = frozenset({"test", "run", "build", "install"})
WRAPPED_SUBCOMMANDS = frozenset({"test", "run"})


@dataclass(frozen=True, slots=True)
class GoCommand:
    """Where in argv the go sub-command is, when the command is ``go <sub>``."""

    argv: tuple[str, ...]
    subcommand: str = ""  # "" when the command is not a go build command

    @classmethod
    def parse(cls, argv: list[str]) -> GoCommand:
        if len(argv) >= 2 and Path(argv[0]).name == "go" and argv[1] in GO_BUILD_SUBCOMMANDS:
            return cls(tuple(argv), argv[1])
        return cls(tuple(argv))

    @property
    def is_test(self) -> bool:
        return self.subcommand == "test"

    @property
    def wrapped(self) -> bool:
        """Whether each Go process can run under our -exec wrapper (not when the user has one)."""
        return self.subcommand in WRAPPED_SUBCOMMANDS and not self.has_flag("exec")

    def has_flag(self, name: str) -> bool:
        pattern = re.compile(rf"^--?{re.escape(name)}(=|$)")
        return any(pattern.match(arg) for arg in self._flag_area())

    def _flag_area(self) -> tuple[str, ...]:
        # go test passes everything after -args to the test binary.
        args = self.argv[2:]
        return args[:args.index("-args")] if "-args" in args else args

    def with_flags(self, flags: list[str]) -> list[str]:
        """argv with ``flags`` inserted right after the go sub-command."""
        if not self.subcommand:
            return list(self.argv)
        return [*self.argv[:2], *flags, *self.argv[2:]]


def exec_flag(config_path: Path) -> str:
    """The ``-exec`` value that runs :mod:`execwrap` with this interpreter."""
    return "-exec=" + " ".join(_quote(part) for part in (sys.executable, execwrap.__file__, str(config_path)))


def merge_goflags(current: str, flags: list[str]) -> str:
    """GOFLAGS with ``flags`` added (GOFLAGS is a space-separated list of -flag=value)."""
    return " ".join(filter(None, [current.strip(), *flags]))


def _quote(part: str) -> str:
    # cmd/go splits -exec with its quoted-field rules: single or double quotes, no escapes.
    if not any(c.isspace() or c in "'\"" for c in part):
        return part
    return f"'{part}'" if "'" not in part else f'"{part}"'
