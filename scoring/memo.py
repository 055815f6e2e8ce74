"""The clearance stream's memo: a batch or a day repeats the same parties, offices and reasons."""

from __future__ import annotations

from collections.abc import Callable, Hashable


class BoundedMemo(dict):
    """``memo[key]`` is ``make(key)``, made once and then read as a plain dictionary; at ``limit`` entries the
    memo starts over, which costs nothing on a hit (an LRU pays its bookkeeping on every one) and holds while a
    stream's working set is far below the limit.

    >>> squares = BoundedMemo(lambda x: x * x, limit=2)
    >>> squares[3], squares[4], squares[3]
    (9, 16, 9)
    >>> squares[5], len(squares)
    (25, 1)
    """

    __slots__ = ("limit", "make")

    def __init__(self, make: Callable[[Hashable], object], limit: int) -> None:
        super().__init__()
        self.make, self.limit = make, limit

    def __missing__(self, key: Hashable) -> object:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.make(key)
        return value
