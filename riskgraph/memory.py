"""Freed memory handed back to the system, so a command's peak is what it holds, not what it once held.

glibc's malloc serves a block of 128 KiB or more from a mapping of its own, returned when freed; but each such free
raises that threshold (up to 32 MiB), and the arrays pandas and numpy free and allocate again then come from the heap,
where freed pages stay with the process. At 1M declarations that kept ``analyze --full`` 0.15 GB higher. Fixing the
threshold at its default keeps the mappings (Linux with glibc; elsewhere nothing changes).
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["MMAP_THRESHOLD", "fix_mmap_threshold"]

#: glibc's default threshold, fixed (``mallopt``'s ``M_MMAP_THRESHOLD``, option -3)
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3


def fix_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD`; False where the C library has no ``mallopt``.

    >>> fix_mmap_threshold()  # Linux with glibc
    True
    """
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
