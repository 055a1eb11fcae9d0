"""A thread-safe record of work items, with counters of those in flight."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["InFlightLog"]

T = TypeVar("T")


class InFlightLog(Generic[T]):
    """Items in arrival order; how many are in flight now and at most.

    Subclasses add the item-specific bookkeeping and call :meth:`_add` when an
    item starts and :meth:`_done` when it ends, under ``self._changed``.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._items: list[T] = []
        self._in_flight = 0
        self._max_in_flight = 0

    def __len__(self) -> int:
        with self._changed:
            return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    @property
    def items(self) -> list[T]:
        """A copy of the items, oldest first."""
        with self._changed:
            return list(self._items)

    @property
    def in_flight(self) -> int:
        """Items started and not ended yet."""
        with self._changed:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """Most items in flight at once since the last :meth:`clear`."""
        with self._changed:
            return self._max_in_flight

    def clear(self) -> None:
        """Forget the items and reset the maximum in flight."""
        with self._changed:
            self._items.clear()
            self._max_in_flight = self._in_flight

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is in flight; return whether that happened."""
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight == 0, timeout)

    def _add(self, item: T) -> None:
        """Record a started item (call with ``self._changed`` held)."""
        self._items.append(item)
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)
        self._changed.notify_all()

    def _done(self) -> None:
        """Record that an item ended (call with ``self._changed`` held)."""
        self._in_flight -= 1
        self._changed.notify_all()
