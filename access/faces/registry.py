"""The in-memory face indexes of one process, one per community, kept in step with the DB.

Process memory is a cache here. Each community's :class:`~access.faces.index.FaceIndex`
is built from the database (decrypting every active template of its active residents)
together with the community's change counter (:class:`~access.faces.models.FaceIndexVersion`)
read in the same transaction. It is rebuilt when that counter has moved:

- at once in the process that made the change (:meth:`FaceIndexes.reload`);
- before every gate decision, whose pre-check reads the counter anyway — so a deleted
  template can never open a gate because some process has not caught up;
- on a short poll in every process (:meth:`FaceIndexes.sync`), so the rebuild after a
  change made elsewhere mostly happens before the next face arrives.

Decryption runs in a worker thread (a few hundred milliseconds at 30,000 templates);
one rebuild per community runs at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from access.faces.crypto import TemplateDecryptionError, decrypt_template
from access.faces.index import MAX_TEMPLATES_PER_PERSON, FaceIndex, Template
from access.faces.store import (
    StoredTemplate,
    template_context,
    templates_tx,
    versions_tx,
)
from access.runner import TxRunner

log = logging.getLogger(__name__)


class TemplateSource(Protocol):
    """Where templates and change counters come from."""

    async def versions(self, community_ids: Sequence[int]) -> dict[int, int]: ...

    async def load(self, community_id: int, model: str) -> tuple[int, list[StoredTemplate]]: ...


class RunnerSource:
    """Reads through the gate module's transaction runner (SQLite or PostgreSQL)."""

    def __init__(self, runner: TxRunner) -> None:
        self.runner = runner

    async def versions(self, community_ids: Sequence[int]) -> dict[int, int]:
        return await self.runner.run(versions_tx, list(community_ids), readonly=True)

    async def load(self, community_id: int, model: str) -> tuple[int, list[StoredTemplate]]:
        return await self.runner.run(templates_tx, community_id, model, readonly=True)


@dataclass(frozen=True)
class IndexInfo:
    version: int
    persons: int
    templates: int
    #: Rows that did not decrypt (the secret key changed) or had the wrong shape.
    unreadable: int


@dataclass
class _Entry:
    index: FaceIndex
    info: IndexInfo


def decrypt_rows(
    rows: Sequence[StoredTemplate], secret_key: str, dim: int | None = None
) -> tuple[list[tuple[int, Template]], int]:
    """Decrypt stored templates; returns (person, vector) pairs and how many failed."""
    pairs: list[tuple[int, Template]] = []
    per_person: dict[int, int] = {}
    bad = 0
    for row in rows:
        try:
            vec = decrypt_template(
                row.blob,
                secret_key,
                context=template_context(row.row_id, row.person_id, row.community_id),
            )
        except TemplateDecryptionError:
            bad += 1
            continue
        if dim is None:
            dim = int(vec.shape[0])
        if vec.shape != (dim,) or not np.isfinite(vec).all():
            bad += 1
            continue
        if per_person.get(row.person_id, 0) >= MAX_TEMPLATES_PER_PERSON:
            continue  # never written so; a hand-edited database must not break the index
        per_person[row.person_id] = per_person.get(row.person_id, 0) + 1
        pairs.append((row.person_id, vec))
    return pairs, bad


class FaceIndexes:
    """Per-community :class:`FaceIndex` cache of one process (see the module doc)."""

    def __init__(self, source: TemplateSource, secret_key: str, model: str) -> None:
        self.source = source
        self.secret_key = secret_key
        self.model = model
        self._entries: dict[int, _Entry] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def loaded(self) -> dict[int, IndexInfo]:
        return {cid: e.info for cid, e in self._entries.items()}

    def info(self, community_id: int) -> IndexInfo | None:
        entry = self._entries.get(community_id)
        return entry.info if entry else None

    async def get(self, community_id: int, version: int | None = None) -> FaceIndex:
        """The community's index as of ``version`` (read now when not given)."""
        if version is None:
            version = (await self.source.versions([community_id]))[community_id]
        entry = self._entries.get(community_id)
        if entry is not None and entry.info.version == version:
            return entry.index
        return await self.reload(community_id, at_least=version)

    async def reload(self, community_id: int, *, at_least: int | None = None) -> FaceIndex:
        """Rebuild from the database (unless a concurrent rebuild already reached
        ``at_least``)."""
        lock = self._locks.setdefault(community_id, asyncio.Lock())
        async with lock:
            entry = self._entries.get(community_id)
            if entry is not None and at_least is not None and entry.info.version >= at_least:
                return entry.index
            version, rows = await self.source.load(community_id, self.model)
            pairs, bad = await asyncio.to_thread(decrypt_rows, rows, self.secret_key)
            if bad:
                log.error(
                    "face templates unreadable (secret key changed?)",
                    extra={"fields": {"community": community_id, "rows": bad}},
                )
            dim = int(pairs[0][1].shape[0]) if pairs else 128
            index = FaceIndex(dim=dim)
            index.load(pairs)
            info = IndexInfo(version, index.persons, len(index), bad)
            self._entries[community_id] = _Entry(index, info)
            return index

    async def sync(self) -> list[int]:
        """Rebuild every loaded community whose counter moved; returns their ids."""
        if not self._entries:
            return []
        current = await self.source.versions(list(self._entries))
        changed = [
            cid
            for cid, version in current.items()
            if cid in self._entries and self._entries[cid].info.version != version
        ]
        for cid in changed:
            await self.reload(cid, at_least=current[cid])
        return changed

    def forget(self, community_id: int) -> None:
        self._entries.pop(community_id, None)
