"""The exit codes of every `dosecheck` command, in one place, as the README's command table states them."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What a command's exit status means."""

    OK = 0
    NOT_ALL_CHECKED = 1
    """The input was read, but some of it could not be checked or resolved (each named in the output)."""
    UNUSABLE = 2
    """The input, the settings or the knowledge base cannot be used at all."""
    FAILED = 70
    """`serve` stopped because a worker process died unexpectedly (it stops the others). 70 is sysexits.h's
    EX_SOFTWARE."""
    OUTPUT_FAILED = 74
    """The output could not be written midway (a full disk): it holds whole records up to where it
    stopped, and `audit --resume` finishes it once there is room. 74 is sysexits.h's EX_IOERR."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT); an interrupted audit is finished with --resume."""
