"""The audit's output file: one JSON record per input row, and what a resumed audit finds in it.

Each line is `{"line": N, "response": {...}}`: the input line where the row starts and the
`CheckRegimenResponse` in the contract's JSON shape (with `error` set for a row not checked).
An output named `*.gz` is gzip: one gzip member per batch of records (a valid gzip file that
`zcat` and `gzip.open` read whole), so batches are still appended, moved in and cut back whole.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import pathlib
import queue
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import IO, Any, Final, NamedTuple

import orjson

from service.audit.rows import AuditInputError, Row, row_digest
from service.audit.summary import AuditSummary

__all__ = [
    "AnsweredRow", "Batch", "OutputWriteError", "OutputWriter", "ResumeState", "encode_record", "is_compressed",
    "scan_output", "write_records",
]

_IOV_MAX: Final = os.sysconf("SC_IOV_MAX")
_CHUNKS_QUEUED: Final = 2
GZIP_LEVEL: Final = 3
"""On the benchmark's BASIC records: 584 B a row in 21 µs (level 1: 712 B in 20 µs; 6: 383 B in 42 µs)."""


def is_compressed(path: pathlib.Path) -> bool:
    """Whether an output is written as gzip: its name ends in `.gz`."""
    return path.suffix == ".gz"


def encode_record(row: Row, response: dict[str, Any]) -> bytes:
    """One output line, newline included: the row's line, its digest (`row_digest`) and its answer.

    Args:
        row: The input row answered.
        response: The response in the contract's JSON shape.

    Returns:
        The UTF-8 bytes to append to the output.
    """
    return orjson.dumps({"line": row.line, "input": row_digest(row), "response": response},
                        option=orjson.OPT_APPEND_NEWLINE)


Batch = Sequence[bytes] | pathlib.Path
"""Output records in memory, or a file of them that a worker process wrote (moved in, then deleted)."""

# copy_file_range cannot copy between these files here (another file system, an old kernel, a pipe):
# the bytes are copied through this process instead.
_NO_KERNEL_COPY: Final = frozenset({errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL})


class OutputWriteError(OSError):
    """The output or the decisions CSV could not be written (a full disk); the output ends with its last whole record.

    The write's own OSError (errno, strerror) with the file as its `filename`: the write error
    alone names no file.
    """

    def __init__(self, path: pathlib.Path, cause: OSError) -> None:
        """Names the file and why.

        Args:
            path: The file.
            cause: The error of the write.
        """
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))


class OutputWriter:
    """Appends records to the output from a thread of its own, so checking goes on while they are written.

    At 40 KB a record, writing costs about as much as checking. Records in memory go to the file
    in `writev` calls, and a worker's file of records is copied in by the kernel
    (`copy_file_range`); neither holds the GIL, so the checking thread keeps running meanwhile (a
    write per record would wait for the GIL between records). At most two batches wait. Closing
    writes every batch handed over, even through Ctrl-C, and a batch that fails is cut back off
    the file, so the output always ends with a whole record.
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
        if append:
            os.lseek(self._fd, 0, os.SEEK_END)
        self._path = path
        self._compressed = is_compressed(path)
        self._closed = False
        self._spill: tempfile.TemporaryDirectory[str] | None = None
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=_CHUNKS_QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write_batches, name="audit-output", daemon=True)
        self._thread.start()

    def spill_directory(self) -> pathlib.Path:
        """A scratch directory beside the output for worker processes' files of records.

        It is on the output's file system, so that moving a file in is a copy inside the kernel,
        and it is removed on close, after every file handed over has been moved in. (A process
        killed outright leaves it behind: `.OUTPUT.xxxxxxxx/`, safe to delete.)
        """
        if self._spill is None:
            self._spill = tempfile.TemporaryDirectory(dir=self._path.parent, prefix=f".{self._path.name}.")
        return pathlib.Path(self._spill.name)

    def write(self, batch: Batch) -> None:
        """Hands over records to append in order; waits while two batches are already waiting.

        Args:
            batch: Whole output lines, or a file of them (deleted once moved in).

        Raises:
            OutputWriteError: An earlier batch could not be written (a full disk): nothing more is
                written.
        """
        self._raise_error()
        self._batches.put(batch)

    def close(self) -> None:
        """Writes every batch handed over, then closes the file and removes the spill directory.

        A Ctrl-C meanwhile waits until the batches are written, then goes on (as KeyboardInterrupt).

        Raises:
            OutputWriteError: A batch could not be written; the file ends with the last whole record.
        """
        if self._closed:
            return
        self._closed = True
        interrupted = False
        try:
            self._batches.put(None)
            while self._thread.is_alive():
                try:
                    self._thread.join()
                except KeyboardInterrupt:
                    interrupted = True
        finally:
            os.close(self._fd)
            if self._spill is not None:
                self._spill.cleanup()
        self._raise_error()
        if interrupted:
            raise KeyboardInterrupt

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _raise_error(self) -> None:
        if isinstance(self._error, OSError):
            raise OutputWriteError(self._path, self._error) from self._error
        if self._error is not None:
            raise self._error

    def _write_batches(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self._error is not None:
                continue  # drain: the checking thread learns of the error on its next write
            start = _position(self._fd)
            try:
                if isinstance(batch, pathlib.Path):
                    _move_in(batch, self._fd)
                else:
                    write_records(self._fd, batch, compressed=self._compressed)
            except BaseException as exc:  # noqa: BLE001 -- any failure, not only OSError, must reach the caller
                self._error = exc
                if start is not None:
                    with contextlib.suppress(OSError):  # cut the batch's part-written bytes off
                        os.ftruncate(self._fd, start)
                        os.lseek(self._fd, start, os.SEEK_SET)


def _position(fd: int) -> int | None:
    try:
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return None  # a pipe: nothing can be cut back


def write_records(fd: int, records: Sequence[bytes], *, compressed: bool = False) -> None:
    """Writes records at a file descriptor's offset, up to IOV_MAX records per system call.

    Args:
        fd: The open file.
        records: Whole output lines.
        compressed: Write them as one gzip member (zlib runs without the GIL).

    Raises:
        OSError: They could not all be written.
    """
    if compressed:
        if records:
            _write_all(fd, memoryview(gzip.compress(b"".join(records), GZIP_LEVEL, mtime=0)))
        return
    for start in range(0, len(records), _IOV_MAX):
        batch = records[start : start + _IOV_MAX]
        written = os.writev(fd, batch)
        expected = sum(map(len, batch))
        if written < expected:  # a short write (a file size limit, a full disk): finish it, or raise
            _write_all(fd, memoryview(b"".join(batch))[written:])


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _move_in(path: pathlib.Path, fd: int) -> None:
    source = os.open(path, os.O_RDONLY)
    try:
        remaining = os.fstat(source).st_size
        try:
            while remaining:
                copied = os.copy_file_range(source, fd, remaining)
                if not copied:
                    raise OSError(f"{path}: shorter than its size while being copied into the output")
                remaining -= copied
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
            while block := os.read(source, 1 << 20):  # both offsets are where the kernel copy stopped
                _write_all(fd, memoryview(block))
    finally:
        os.close(source)
    path.unlink()


_Record = tuple[int, str | None, dict[str, Any]]
"""An output record's input line, input digest (None if it has none) and response."""
_Take = Callable[[_Record], None]


class AnsweredRow(NamedTuple):
    """A row an earlier run answered, as its record names it."""

    request_id: str
    digest: str | None
    """`row_digest` of the row answered; None in a record written before records kept it."""


@dataclass(slots=True)
class ResumeState:
    """What an earlier, interrupted run left: the rows done (by line) and their totals."""

    done: dict[int, AnsweredRow] = field(default_factory=dict)
    summary: AuditSummary = field(default_factory=AuditSummary)
    dropped_bytes: int = 0
    """Bytes cut from the end of the file: a half-written record (or anything after a damaged one)."""


def scan_output(path: pathlib.Path, on_record: Callable[[int, dict[str, Any]], None] | None = None) -> ResumeState:
    """Reads an earlier run's output and cuts it back to its last whole record.

    Records are written in input order, so everything up to the first damaged line (a crash
    mid-write leaves a line without its newline) is kept; that line and anything after it is
    dropped, and those rows are checked again. A gzip output is kept up to its last whole member
    whose records are all whole.

    Args:
        path: The output file; a missing file means nothing is done yet.
        on_record: Called with each record kept (its input line and response), in order.

    Returns:
        The rows already answered and their totals.

    Raises:
        AuditInputError: The file holds two records for one line, so it is not an audit output.
    """
    state = ResumeState()
    if not path.exists():
        return state
    with open(path, "r+b") as fh:
        take = partial(_take, state=state, path=path, on_record=on_record)
        kept = _scan_members(fh, take) if is_compressed(path) else _scan_lines(fh, take)
        size = fh.seek(0, 2)
        if size > kept:
            fh.truncate(kept)
    state.dropped_bytes = size - kept
    return state


def _scan_lines(lines: Iterable[bytes], take: _Take) -> int:
    """Takes the whole records at the start of `lines`; the bytes they take."""
    kept = 0
    for raw in lines:
        record = _whole_record(raw)
        if record is None:
            break
        take(record)
        kept += len(raw)
    return kept


def _scan_members(fh: IO[bytes], take: _Take) -> int:
    """Takes the records of the whole gzip members at the start of `fh`; the bytes they take."""
    kept = 0
    data = b""
    read = 0
    member = zlib.decompressobj(wbits=31)
    text: list[bytes] = []
    while True:
        if not data:
            data = fh.read(1 << 20)
            if not data:
                return kept  # a member cut short: dropped
            read += len(data)
        try:
            text.append(member.decompress(data))
        except zlib.error:
            return kept
        data = member.unused_data
        if not member.eof:
            continue
        lines = b"".join(text).splitlines(keepends=True)
        records = [record for raw in lines if (record := _whole_record(raw)) is not None]
        if len(records) < len(lines):
            return kept
        for record in records:
            take(record)
        kept = read - len(data)
        member = zlib.decompressobj(wbits=31)
        text = []


def _whole_record(raw: bytes) -> _Record | None:
    """An output line's input line, input digest (None if it has none) and response, or None."""
    if not raw.endswith(b"\n"):
        return None
    try:
        record = orjson.loads(raw)
        line = record["line"]
        response = record["response"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    if type(line) is not int or type(response) is not dict:
        return None
    digest = record.get("input")
    return line, digest if type(digest) is str else None, response


def _take(record: _Record, *, state: ResumeState, path: pathlib.Path,
          on_record: Callable[[int, dict[str, Any]], None] | None) -> None:
    line, digest, response = record
    if line in state.done:
        raise AuditInputError(f"{path}: two records for line {line}; is this the output of an audit?")
    request_id = response.get("requestId", "")
    state.done[line] = AnsweredRow(request_id if type(request_id) is str else "", digest)
    state.summary.add(line, response)
    if on_record is not None:
        on_record(line, response)
