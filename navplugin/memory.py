"""Giving memory back to the system after a new live index replaced the old one.

An index of a large list is tens of megabytes of small objects. When a new
version replaces it, Python frees them (by reference counting: an index holds
no cycles), but the C allocator keeps the pages for reuse, so a process's
resident size would stay at old + new after every version switch. glibc's
``malloc_trim`` returns the free pages, so a long-running process stays near
the size of one index. (No ``gc.collect()``: it would hold the GIL over every
object of the process, on every switch, for nothing.)
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

LOGGER = logging.getLogger(__name__)
_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        name = ctypes.util.find_library("c")
        try:
            _LIBC = ctypes.CDLL(name) if name else False
            if _LIBC and not hasattr(_LIBC, "malloc_trim"):
                _LIBC = False  # not glibc: nothing to trim with
        except OSError:
            _LIBC = False
    return _LIBC


def release_memory() -> None:
    libc = _libc()
    if libc:
        libc.malloc_trim(0)
