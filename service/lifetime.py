"""Child processes that end with the process that started them: a worker must not live on without it."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
from typing import Final

_PR_SET_PDEATHSIG: Final = 1
"""From <linux/prctl.h>: the signal the kernel sends this process when its parent thread exits."""


def end_with(owner: int) -> None:
    """Sends this process SIGTERM once process `owner` exits, however it exits (SIGKILL too).

    Linux only; elsewhere it does nothing. Call it first thing in the child. SIGTERM, not SIGKILL,
    so that a server worker still stops gracefully. For the direct parent the kernel does it
    (prctl PR_SET_PDEATHSIG); for another process (or a parent that exited before the kernel
    was asked) a thread waits on a pidfd.

    Args:
        owner: the pid of the process whose end ends this one.
    """
    if not sys.platform.startswith("linux"):
        return
    if owner == os.getppid():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
        if os.getppid() == owner:
            return
        # The parent exited before the kernel was asked to tell: fall through, the pidfd says so.
    try:
        watched = os.pidfd_open(owner)
    except ProcessLookupError:
        os.kill(os.getpid(), signal.SIGTERM)
        return
    threading.Thread(target=_terminate_when_ended, args=(watched,), name="end-with-owner", daemon=True).start()


def _terminate_when_ended(pidfd: int) -> None:
    select.select([pidfd], [], [])  # a pidfd becomes readable when its process exits
    os.kill(os.getpid(), signal.SIGTERM)
