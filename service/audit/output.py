"""The audit's output file: one JSON record per input row, and what a resumed audit finds in it.

Each line is `{"line": N, "response": {...}}`: the input line where the row starts and the
`CheckRegimenResponse` in the contract's JSON shape (with `error` set for a row not checked).
"""

from __future__ import annotations

import os
import pathlib
import queue
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import orjson

from service.audit.rows import AuditInputError
from service.audit.summary import AuditSummary

__all__ = ["Batch", "OutputWriter", "ResumeState", "encode_record", "scan_output", "write_records"]

_IOV_MAX: Final = os.sysconf("SC_IOV_MAX")
_CHUNKS_QUEUED: Final = 2


def encode_record(line: int, response: dict[str, Any]) -> bytes:
    """One output line, newline included.

    Args:
        line: The input line where the row starts.
        response: The response in the contract's JSON shape.

    Returns:
        The UTF-8 bytes to append to the output.
    """
    return orjson.dumps({"line": line, "response": response}, option=orjson.OPT_APPEND_NEWLINE)


Batch = Sequence[bytes] | pathlib.Path
"""Output records in memory, or a file of them that a worker process wrote (moved in, then deleted)."""


class OutputWriter:
    """Appends records to the output from a thread of its own, so checking goes on while they are written.

    At 40 KB a record, writing costs about as much as checking. Records in memory go to the file
    in `writev` calls, and a worker's file of records is copied in by the kernel
    (`copy_file_range`); neither holds the GIL, so the checking thread keeps running meanwhile (a
    write per record would wait for the GIL between records). At most two batches wait; closing
    writes every batch handed over, so an interrupted audit leaves whole records only.
    """

    def __init__(self, path: pathlib.Path, *, append: bool) -> None:
        """Opens the output and starts the writing thread.

        Args:
            path: The output file.
            append: Keep what the file holds (a resumed audit), else replace it.

        Raises:
            OSError: The file cannot be opened.
        """
        # Not O_APPEND: copy_file_range refuses a destination opened for appending.
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | (0 if append else os.O_TRUNC), 0o666)
        os.lseek(self._fd, 0, os.SEEK_END)
        self._path = path
        self._spill: tempfile.TemporaryDirectory[str] | None = None
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=_CHUNKS_QUEUED)
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._write_batches, name="audit-output", daemon=True)
        self._thread.start()

    def spill_directory(self) -> pathlib.Path:
        """A scratch directory beside the output for worker processes' files of records.

        It is on the output's file system, so that moving a file in is a copy inside the kernel,
        and it is removed on close, after every file handed over has been moved in.
        """
        if self._spill is None:
            self._spill = tempfile.TemporaryDirectory(dir=self._path.parent, prefix=f".{self._path.name}.")
        return pathlib.Path(self._spill.name)

    def write(self, batch: Batch) -> None:
        """Hands over records to append in order; waits while two batches are already waiting.

        Args:
            batch: Whole output lines, or a file of them (deleted once moved in).

        Raises:
            OSError: An earlier batch could not be written (a full disk): nothing more is written.
        """
        self._raise_error()
        self._batches.put(batch)

    def close(self) -> None:
        """Writes every batch handed over, then closes the file.

        Raises:
            OSError: A batch could not be written.
        """
        if self._thread.is_alive():
            self._batches.put(None)
            self._thread.join()
        os.close(self._fd)
        if self._spill is not None:
            self._spill.cleanup()
        self._raise_error()

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _write_batches(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self._error is not None:
                continue  # drain: the checking thread learns of the error on its next write
            try:
                if isinstance(batch, pathlib.Path):
                    _move_in(batch, self._fd)
                else:
                    write_records(self._fd, batch)
            except OSError as exc:
                self._error = exc


def write_records(fd: int, records: Sequence[bytes]) -> None:
    """Writes records at a file descriptor's offset, up to IOV_MAX records per system call.

    Args:
        fd: The open file.
        records: Whole output lines.

    Raises:
        OSError: They could not all be written.
    """
    for start in range(0, len(records), _IOV_MAX):
        batch = records[start : start + _IOV_MAX]
        written = os.writev(fd, batch)
        expected = sum(map(len, batch))
        if written < expected:  # a short write (a file size limit, a full disk): finish it, or raise
            rest = memoryview(b"".join(batch))[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]


def _move_in(path: pathlib.Path, fd: int) -> None:
    source = os.open(path, os.O_RDONLY)
    try:
        remaining = os.fstat(source).st_size
        while remaining:
            copied = os.copy_file_range(source, fd, remaining)
            if not copied:
                raise OSError(f"{path}: shorter than its size while being copied into the output")
            remaining -= copied
    finally:
        os.close(source)
    path.unlink()


@dataclass(slots=True)
class ResumeState:
    """What an earlier, interrupted run left: the rows done (line -> request id) and their totals."""

    done: dict[int, str] = field(default_factory=dict)
    summary: AuditSummary = field(default_factory=AuditSummary)
    dropped_bytes: int = 0
    """Bytes cut from the end of the file: a half-written record (or anything after a damaged one)."""


def scan_output(path: pathlib.Path) -> ResumeState:
    """Reads an earlier run's output and cuts it back to its last whole record.

    Records are written in input order, so everything up to the first damaged line (a crash
    mid-write leaves a line without its newline) is kept; that line and anything after it is
    dropped, and those rows are checked again.

    Args:
        path: The output file; a missing file means nothing is done yet.

    Returns:
        The rows already answered and their totals.

    Raises:
        AuditInputError: The file holds two records for one line, so it is not an audit output.
    """
    state = ResumeState()
    if not path.exists():
        return state
    kept = 0
    with open(path, "r+b") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                record = orjson.loads(raw)
                line = record["line"]
                response = record["response"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                break
            if type(line) is not int or type(response) is not dict:
                break
            if line in state.done:
                raise AuditInputError(f"{path}: two records for line {line}; is this the output of an audit?")
            request_id = response.get("requestId", "")
            state.done[line] = request_id if type(request_id) is str else ""
            state.summary.add(line, response)
            kept += len(raw)
        size = fh.seek(0, 2)
        if size > kept:
            fh.truncate(kept)
    state.dropped_bytes = size - kept
    return state
