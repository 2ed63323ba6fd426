"""Records the database could not take yet, kept on this machine's disk until it can.

A status callback the helpline has answered 2xx, or a call start it has noted, must reach the
records even if the database is down for an hour: Twilio will not send it again. Each process
appends to a file of its own (JSON lines, written straight to the operating system, so a killed
process loses nothing it wrote); whichever process finds the database back replays every file
no living process is still writing, in the order written, and deletes it.
"""
from __future__ import annotations

import datetime
import fcntl
import json
import logging
import os
import socket
import threading
import uuid
from pathlib import Path

log = logging.getLogger(__name__)
SUFFIX = ".jsonl"


def _encode(value):
    if isinstance(value, datetime.datetime):
        return {"utc": value.astimezone(datetime.timezone.utc).isoformat()}
    raise TypeError(f"cannot keep {type(value).__name__}")


def _decode(record: dict):
    if set(record) == {"utc"}:
        return datetime.datetime.fromisoformat(record["utc"])
    return record


def _still_at(path: Path, fd: int) -> bool:
    """Whether the file open as `fd` is still the one at `path` (not deleted nor replaced)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


class Spool:
    """An append-only list of (kind, fields) records on disk, one file per writing process."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._fd: int | None = None       # this process's file, held with an exclusive flock
        self._pid = None

    # -- writing -----------------------------------------------------------------------------
    def keep(self, kind: str, records: list) -> None:
        """Append records of one kind (dicts of plain values and datetimes). Raises OSError only
        when the disk itself refuses (full, read-only): the caller then keeps them in memory."""
        if not records:
            return
        lines = "".join(json.dumps({"kind": kind, **record}, default=_encode, separators=(",", ":")) + "\n"
                        for record in records).encode()
        with self._lock:
            fd = self._own_file()
            # One write() of whole lines to an O_APPEND file: the operating system has them the
            # moment it returns, so a SIGKILL now loses nothing; fsync guards a power cut too.
            os.write(fd, lines)
            os.fsync(fd)

    def _own_file(self) -> int:
        if self._fd is not None and self._pid == os.getpid():
            return self._fd
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)       # "still being written": nobody else replays it
        self._fd, self._pid = fd, os.getpid()
        return fd

    def _let_go(self) -> None:
        """Close this process's file, so it can be replayed (by this process or another)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = self._pid = None

    # -- reading back ------------------------------------------------------------------------
    def waiting(self) -> bool:
        """Whether any record waits (a directory listing: cheap enough a few times a second)."""
        try:
            return any(entry.name.endswith(SUFFIX) for entry in os.scandir(self.directory))
        except FileNotFoundError:
            return False

    def count(self) -> int:
        """How many records wait, in every file (for /metrics and the tests)."""
        total = 0
        for path in self._files():
            try:
                with open(path, "rb") as handle:
                    total += sum(1 for line in handle if line.endswith(b"\n"))
            except FileNotFoundError:
                continue
        return total

    def _files(self) -> list:
        try:
            return sorted((p for p in self.directory.iterdir() if p.name.endswith(SUFFIX)),
                          key=lambda p: (p.stat().st_mtime, p.name))
        except FileNotFoundError:
            return []

    def replay(self, apply) -> int:
        """Hand every waiting record, oldest file first, to `apply(kind, fields)`. A file is deleted
        once all its records are applied; if `apply` raises, the records not yet applied stay on
        disk for the next try and the error goes up. Returns how many were applied."""
        with self._lock:
            self._let_go()
        applied = 0
        for path in self._files():
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue                     # another process replayed it meanwhile
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue                 # a living process is writing it, or replaying it
                if not _still_at(path, fd):
                    continue                 # replayed (or rewritten) just before we took the lock
                applied += self._replay_file(path, fd, apply)
            finally:
                os.close(fd)
        return applied

    def _replay_file(self, path: Path, fd: int, apply) -> int:
        with open(fd, "rb", closefd=False) as handle:
            lines = handle.read().split(b"\n")
        applied = 0
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = json.loads(line, object_hook=_decode)
                kind = record.pop("kind")
            except (ValueError, KeyError):
                # Only the very end of a file can be torn (a machine that lost power mid-write).
                log.error("unreadable record %d in %s: skipped", number + 1, path.name)
                continue
            try:
                apply(kind, record)
            except Exception:
                self._keep_rest(path, fd, lines[number:])
                raise
            applied += 1
        path.unlink()
        return applied

    def _keep_rest(self, path: Path, fd: int, lines: list) -> None:
        """Rewrite the file with only what is not applied yet (atomically: a new file renamed over)."""
        rest = b"\n".join(line for line in lines if line.strip()) + b"\n"
        temporary = path.with_name(path.name + ".part")
        with open(temporary, "wb") as out:
            out.write(rest)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)

    def close(self) -> None:
        with self._lock:
            self._let_go()
