"""A memory cache for report figures and chart images, keyed by (report, filters, scope, data version): the
dashboard fifty people open is computed and drawn once. The data version is the newest audit row (every write is
audited) plus the site's date (overdue and "this month" move at midnight), and a five-minute period bounds what a
background job that writes without an audit row could leave stale."""
from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from typing import Callable

from flask import current_app, g
from sqlalchemy import func, select

from ..core.audit import AuditLog
from ..extensions import db

STALE_SECONDS = 300


class ByteLimitedCache:
    """Least recently used entries go first once the entries' sizes pass `limit` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._total = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return True, self._items[key]
            self.misses += 1
            return False, None

    def put(self, key, value, size: int) -> None:
        if size > self.limit:
            return
        with self._lock:
            if key in self._items:
                self._total -= self._sizes.pop(key)
                del self._items[key]
            self._items[key] = value
            self._sizes[key] = size
            self._total += size
            while self._total > self.limit and self._items:
                old, _ = self._items.popitem(last=False)
                self._total -= self._sizes.pop(old)

    def drop(self, predicate) -> None:
        """Forget the entries whose key satisfies `predicate` (the benchmark times charts from cached figures)."""
        with self._lock:
            for key in [key for key in self._items if predicate(key)]:
                del self._items[key]
                self._total -= self._sizes.pop(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self._total = 0


def _size(value) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    return sys.getsizeof(value) + 64 * (len(value) if hasattr(value, "__len__") else 1)


def the_cache() -> ByteLimitedCache | None:
    """The application's cache ([reports] cache_mb; 0: none)."""
    cache = current_app.extensions.get("crm_report_cache")
    if cache is None:
        megabytes = int(current_app.config["CRM_SETTINGS"].raw["reports"]["cache_mb"])
        if not megabytes:
            return None
        cache = current_app.extensions.setdefault("crm_report_cache", ByteLimitedCache(megabytes * 1024 * 1024))
    return cache


def data_version() -> tuple:
    """Read once per request: the newest audit id, today's site date, the five-minute period."""
    if "crm_data_version" not in g:
        from ..reminders.services import local_date
        from ..core.types import utcnow
        newest = db.session.scalar(select(func.max(AuditLog.id))) or 0
        g.crm_data_version = (newest, local_date(utcnow()).isoformat(), int(time.time() // STALE_SECONDS))
    return g.crm_data_version


def cached(key: tuple, produce: Callable):
    """`produce()` once per key and data version; without a cache it is simply called."""
    cache = the_cache()
    if cache is None:
        return produce()
    full_key = key + data_version()
    found, value = cache.get(full_key)
    if found:
        return value
    value = produce()
    cache.put(full_key, value, _size(value))
    return value
