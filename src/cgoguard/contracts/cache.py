"""On-disk cache of inferred contracts, keyed by the content of every C text they came from.

The key hashes the inference engine itself (its modules and packs, by content), the
configuration, and the bytes of each parsed unit and system header, so a hit never depends
on timestamps. Entries are JSON written atomically; an unreadable entry is a miss. Writes
stay inside the cache directory (:mod:`cgoguard.cachedir`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cgoguard.cachedir import CacheDir
from cgoguard.contracts.model import Contract, ContractSet

FORMAT_VERSION = "1"
_ENGINE_DIRS = ("contracts", "contracts/packs", "cfront")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cgoguard" / "contracts"


@cache
def engine_fingerprint() -> str:
    """A hash of the code and data that turn C text into contracts."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(FORMAT_VERSION.encode())
    for relative in _ENGINE_DIRS:
        for path in sorted((root / relative).glob("*.*")):
            if path.suffix in (".py", ".toml"):
                digest.update(f"{relative}/{path.name}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(texts: Iterable[tuple[str, bytes]], config: Mapping[str, Any], extra: str = "") -> str:
    digest = hashlib.sha256(engine_fingerprint().encode())
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    digest.update(extra.encode())
    for name, data in texts:
        digest.update(f"\0{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


class ContractCache:
    def __init__(self, directory: Path) -> None:
        self.files = CacheDir(directory)

    @staticmethod
    def _name(key: str) -> str:
        return f"{key[:2]}/{key}.json"

    def load(self, key: str) -> ContractSet | None:
        data = self.files.read(self._name(key))
        if data is None:
            return None
        try:
            document = json.loads(data.decode("utf-8"))
            contracts = {c["function"]: Contract.from_dict(c) for c in document["contracts"]}
            return ContractSet(contracts, document.get("aliases", {}))
        except (ValueError, KeyError, TypeError):
            return None

    def store(self, key: str, contracts: ContractSet) -> None:
        payload = {"contracts": [c.to_dict() for c in contracts], "aliases": contracts.aliases}
        # A read-only or full cache directory only costs speed.
        self.files.write(self._name(key), json.dumps(payload, separators=(",", ":")).encode("utf-8"))
