"""The durable store (docs/store.md): a journal on SQLite of every input the engines
accept, so that a routing engine and a case engine come back where they were after a
crash or a restart.

    with ccenter.open_store("acd.db") as st:
        try:
            eng = st.engine_recover("main", event_queue=True)
        except ccenter.NotFound:
            eng = st.engine_new("main", now, event_queue=True)

Engines made through a store belong to the caller: they outlive the store (once it is
closed they are no longer journaled). User data and callbacks are not stored.
"""
import dataclasses
import enum
import os
from typing import Any, Optional, Union

from ccenter._errors import Corrupt, StateError, check, error_for
from ccenter._native import ffi, lib
from ccenter._strings import cstr
from ccenter._time import duration_ms, to_ms
from ccenter.workflow import CaseEngine, _key

__all__ = ["Durability", "Store", "StoreInfo", "open_store"]


class Durability(enum.IntEnum):
    """When journal records reach the disk (ccenter_durability)."""
    FULL = lib.CCENTER_DURABILITY_FULL
    GROUPED = lib.CCENTER_DURABILITY_GROUPED
    MEMORY = lib.CCENTER_DURABILITY_MEMORY
    WRITTEN = lib.CCENTER_DURABILITY_WRITTEN


@dataclasses.dataclass(frozen=True)
class StoreInfo:
    """What ccenter_store_info_get() reports."""
    schema: int
    durability: Durability
    records: int
    pending: int
    commits: int
    syncs: int
    failed: bool
    last_error: int
    file_bytes: int
    snapshots: int
    removed: int


def _path(p, what="path"):
    if isinstance(p, os.PathLike):
        p = os.fspath(p)
    return cstr(p, what)


def _name(name):
    return cstr(name, "engine name")


def _now(now, kwargs):
    """`now` for a new engine: given, or read from the engine's clock."""
    if now is None:
        clock = kwargs.get("clock")
        if clock is None:
            raise TypeError("now: required (no clock given)")
        now = clock()
    return to_ms(now, "now")


class Store:
    """An open store file (ccenter_store_open): created with the current schema when it
    does not exist. A context manager; close() flushes and closes."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], *,
                 durability: Optional[Durability] = None, max_ms: Any = 100,
                 max_records: int = 10000):
        out = ffi.new("ccenter_store **")
        self._ptr = None
        self.path = os.fspath(path) if isinstance(path, os.PathLike) else path
        check(lib.ccenter_store_open(_path(path), ffi.NULL, out), "open store %s" % (path,))
        self._ptr = out[0]
        if durability is not None:
            try:
                self.set_durability(durability, max_ms, max_records)
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        """Flushes what is pending and closes; raises the flush's error (what it could
        not write is lost). Idempotent."""
        if self._ptr is not None:
            p, self._ptr = self._ptr, None
            check(lib.ccenter_store_close(p), "close store %s" % self.path)

    def __del__(self):
        if getattr(self, "_ptr", None) is not None:
            lib.ccenter_store_close(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self):
        return "<Store %s%s>" % (self.path, "" if self._ptr is not None else " (closed)")

    @property
    def _p(self):
        if self._ptr is None:
            raise StateError("the store is closed")
        return self._ptr

    def set_durability(self, mode: Durability, max_ms: Any = 100,
                       max_records: int = 10000) -> None:
        """FULL, GROUPED (a group is committed after max_ms of engine time or
        max_records inputs), MEMORY or WRITTEN (every input written, not synced: call
        sync(), from another thread if you like). Changing mode flushes."""
        mode = Durability(mode)
        if isinstance(max_records, bool) or not isinstance(max_records, int):
            raise TypeError("max_records: expected an int")
        if not 0 <= max_records <= 0xFFFFFFFF:
            raise error_for(lib.CCENTER_ERANGE, "max_records %d" % max_records)
        check(lib.ccenter_store_set_durability(self._p, int(mode),
                                               duration_ms(max_ms, "max_ms"), max_records),
              "durability %s" % mode.name)

    @property
    def durability(self) -> Durability:
        return self.info().durability

    def flush(self) -> None:
        check(lib.ccenter_store_flush(self._p), "flush store")

    def sync(self) -> None:
        """Syncs what the store has written to the disk (ccenter_store_sync). The one
        method another thread may call while this store is in use (not during or after
        close()); the GIL is released meanwhile."""
        check(lib.ccenter_store_sync(self._p), "sync store")

    @property
    def flush_deadline(self) -> Optional[int]:
        """The engine time by which the pending group must be committed, or None."""
        t = lib.ccenter_store_flush_deadline(self._p)
        return None if t == lib.CCENTER_NO_DEADLINE else t

    # Engines
    def engine_new(self, name: str, now: Any = None, **engine_kwargs: Any):
        """A new routing engine `name`, journaled from its creation. The keyword
        arguments are Engine()'s."""
        from ccenter.engine import Engine
        st, n, t = self._p, _name(name), _now(now, engine_kwargs)
        return Engine._create(lambda o, out: lib.ccenter_store_engine_new(st, n, o, t, out),
                              **engine_kwargs)

    def engine_recover(self, name: str, **engine_kwargs: Any):
        """The routing engine `name` as it was: its latest snapshot and the journal after
        it replayed. NotFound when the store has none of that name."""
        from ccenter.engine import Engine
        st, n = self._p, _name(name)
        return Engine._create(lambda o, out: lib.ccenter_store_engine_recover(st, n, o, out),
                              **engine_kwargs)

    def cases_new(self, name: str, now: Any = None, *,
                  audit_key: Union[bytes, str, None] = None, **kwargs: Any) -> CaseEngine:
        """A new case engine `name`, every input journaled (always committed before the
        call goes on) and its audit records kept in the store. The keyword arguments are
        CaseEngine()'s callbacks and clock."""
        st, n, t = self._p, _name(name), _now(now, kwargs)
        kb, kl = _key(audit_key)
        return CaseEngine._create(
            lambda o, out: lib.ccenter_store_cases_new(st, n, o, t, kb, kl, out), **kwargs)

    def cases_recover(self, name: str, *, audit_key: Union[bytes, str, None] = None,
                      **kwargs: Any) -> CaseEngine:
        """The case engine `name` as it was. Pass the same audit key, so that the
        recovered chain is the same."""
        st, n = self._p, _name(name)
        kb, kl = _key(audit_key)
        return CaseEngine._create(
            lambda o, out: lib.ccenter_store_cases_recover(st, n, o, kb, kl, out), **kwargs)

    def snapshot(self, name: str) -> None:
        """Keeps engine `name`'s whole state at this point of its journal; recovery starts
        from the latest snapshot. Then applies the retention to that engine."""
        check(lib.ccenter_store_snapshot(self._p, _name(name)), "snapshot %s" % name)

    def set_retention(self, keep: int, archive: Union[str, "os.PathLike[str]", None] = None
                      ) -> None:
        """After each snapshot keep the `keep` newest (0: all) and remove the journal
        records they no longer need, first copying them to `archive` when given."""
        if isinstance(keep, bool) or not isinstance(keep, int):
            raise TypeError("keep: expected an int, got %s" % type(keep).__name__)
        if keep < 0:
            raise ValueError("keep: negative (%d)" % keep)
        if keep > 0xFFFFFFFF:
            raise error_for(lib.CCENTER_EINVAL, "keep %d" % keep)
        arch = ffi.NULL if archive is None else _path(archive, "archive")
        check(lib.ccenter_store_set_retention(self._p, keep, arch), "retention")

    def backup(self, dest: Union[str, "os.PathLike[str]"]) -> None:
        """A consistent copy of the store in the new file `dest` (AlreadyExists if it
        exists), while the store stays open."""
        check(lib.ccenter_store_backup(self._p, _path(dest, "dest")), "backup to %s" % (dest,))

    def info(self) -> StoreInfo:
        i = ffi.new("ccenter_store_info *")
        i.size = ffi.sizeof("ccenter_store_info")
        check(lib.ccenter_store_info_get(self._p, i), "store info")
        return StoreInfo(i.schema, Durability(i.durability), i.records, i.pending, i.commits,
                         i.syncs, bool(i.failed), i.last_error, i.file_bytes, i.snapshots,
                         i.removed)

    def verify(self, key: Union[bytes, str, None] = None) -> None:
        """Checks the file (journal, snapshots, stored audit chains with `key`); raises
        Corrupt with the library's description."""
        kb, kl = _key(key)
        msg = ffi.new("char[]", 512)
        rc = lib.ccenter_store_verify(self._p, kb, kl, msg, 512)
        if rc == lib.CCENTER_ECORRUPT:
            raise Corrupt("store %s: %s" % (self.path, ffi.string(msg).decode("utf-8", "replace")),
                          rc)
        check(rc, "verify store")


def open_store(path: Union[str, "os.PathLike[str]"], **kwargs: Any) -> Store:
    """Store(path, **kwargs)."""
    return Store(path, **kwargs)
