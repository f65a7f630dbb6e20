"""Flask-Limiter, with every fixed-window counter of a request counted in one Redis round trip.

Flask-Limiter checks a request's limits one after the other, each `hit` a storage call, and its
rate-limit headers read the window of one of them again (GET and TTL): the answer POST
("20 per minute; 300 per day") cost four Redis round trips. Here its own check runs as a dry
pass, where `hit` only notes the counter it would increment (key, window, amount, cost); then one
Lua script increments them all in that order, each as the `limits` library's incr_expire.lua
does, stops after the first one over its amount (Flask-Limiter stops at the first breach) and
returns each counter's value and time to live. When every counter is within its amount, which is
the common case, the dry pass answered each `hit` as the storage would have, so it stands as the
check; otherwise the real pass runs, each `hit` answered with its counter's new value, and
Flask-Limiter refuses the request as its own check would. The headers read their window from what
the script returned. What is limited, the keys, the order, what a refused request counts and
what Flask-Limiter does on a breach stay its own.
A `hit` the batch did not foresee, and every other storage call, goes to the storage as before;
when Redis fails, the real pass meets the failure as Flask-Limiter would have.
"""

import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import g, has_app_context
from flask_limiter import Limiter as FlaskLimiter
from limits.errors import StorageError
from limits.storage import RedisClusterStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter
from limits.util import WindowStats

#: KEYS: the counters in order; ARGV: expiry, amount and cost of each. Returns the value and
#: the time to live of each counter up to the first one over its amount.
COUNT_IN_ORDER = """
local counted = {}
for i, key in ipairs(KEYS) do
    local cost = tonumber(ARGV[3 * i])
    local current = redis.call("incrby", key, cost)
    if current == cost then
        redis.call("expire", key, ARGV[3 * i - 2])
    end
    counted[2 * i - 1] = current
    counted[2 * i] = redis.call("ttl", key)
    if current > tonumber(ARGV[3 * i - 1]) then
        break
    end
end
return counted
"""


@dataclass
class _Batch:
    """The counters of one check: noted by the dry pass, or their new values for the real one."""

    recording: bool
    #: (key, expiry in seconds, amount, cost) in the order Flask-Limiter hits them.
    entries: list = field(default_factory=list)
    #: Whether the dry pass met a `test` (a conditional deduction, a meta limit): it answered it
    #: without the storage, so the real pass must run.
    tested: bool = False
    #: key -> the new values of its counter, in the order they were incremented.
    counts: dict = field(default_factory=dict)


_batch: ContextVar[_Batch | None] = ContextVar("rate_limit_batch", default=None)


def _windows() -> dict:
    """key -> (value, reset time) of the counters this request's batches counted."""
    return g.setdefault("_rate_limit_windows", {})


class CountedInOneTrip(FixedWindowRateLimiter):
    """The fixed-window strategy, answering a check's hits from one batched increment."""

    def __init__(self, storage):
        super().__init__(storage)
        self._script = None  # COUNT_IN_ORDER, registered with the Redis client once

    def hit(self, item, *identifiers, cost=1):
        key = item.key_for(*identifiers)
        batch = _batch.get()
        if batch is not None and batch.recording:
            batch.entries.append((key, item.get_expiry(), item.amount, cost))
            return True
        if batch is not None and batch.counts.get(key):
            return batch.counts[key].popleft() <= item.amount
        if has_app_context():
            _windows().pop(key, None)
        return super().hit(item, *identifiers, cost=cost)

    def test(self, item, *identifiers, cost=1):
        batch = _batch.get()
        if batch is not None and batch.recording:
            batch.tested = True
            return True
        return super().test(item, *identifiers, cost=cost)

    def get_window_stats(self, item, *identifiers):
        key = item.key_for(*identifiers)
        known = _windows().get(key) if has_app_context() else None
        if known is None:
            return super().get_window_stats(item, *identifiers)
        value, reset = known
        return WindowStats(reset, max(0, item.amount - value))

    def count(self, entries: list) -> list:
        """Increment the counters in order, stopping after the first one over its amount: one
        Lua script on Redis, one incr each elsewhere. Returns (value, reset time) of each."""
        storage = self.storage
        if isinstance(storage, RedisStorage) and not isinstance(storage, RedisClusterStorage):
            if self._script is None:
                self._script = storage.get_connection().register_script(COUNT_IN_ORDER)
            keys = [storage.prefixed_key(key) for key, *_rest in entries]
            counted = self._script(keys, [value for _key, *rest in entries for value in rest])
            now = time.time()
            return [
                (int(value), int(max(ttl, 0) + now))
                for value, ttl in zip(counted[::2], counted[1::2], strict=True)
            ]
        counted = []
        for key, expiry, amount, cost in entries:
            counted.append((storage.incr(key, expiry, amount=cost), storage.get_expiry(key)))
            if counted[-1][0] > amount:
                break
        return counted


class Limiter(FlaskLimiter):
    """Flask-Limiter whose fixed-window limits of a request are counted in one round trip."""

    def init_app(self, app) -> None:
        super().init_app(app)
        if self.enabled and type(self.limiter) is FixedWindowRateLimiter:
            # The strategy Flask-Limiter has just built on the storage, with the batch above.
            self._limiter = CountedInOneTrip(self.storage)
            app.teardown_request(lambda _error: g.pop("_rate_limit_windows", None))

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        strategy = self.limiter if self.enabled and self.initialized else None
        if not isinstance(strategy, CountedInOneTrip) or _batch.get() is not None:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
            return
        context = self.context
        seen = list(context.seen_limits)
        dry = _Batch(recording=True)
        token = _batch.set(dry)
        try:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        finally:
            _batch.reset(token)
        if not dry.entries and not dry.tested:
            return  # nothing was counted or tested: the dry pass was the check
        try:
            counted = strategy.count(dry.entries)
        except (StorageError, strategy.storage.base_exceptions):
            counted = []  # the real pass's own calls meet the failure, handled as configured
        answers = _Batch(recording=False)
        for (key, *_rest), (value, reset) in zip(dry.entries, counted, strict=False):
            answers.counts.setdefault(key, deque()).append(value)
            _windows()[key] = (value, reset)
        within = len(counted) == len(dry.entries) and all(
            value <= amount
            for (_key, _expiry, amount, _cost), (value, _reset) in zip(
                dry.entries, counted, strict=True
            )
        )
        if within and not dry.tested:
            # Every hit of the dry pass answered True, as the real pass would have: its context
            # (the limits seen, the one the headers show) is the check's own, and the headers
            # read their window from what was just counted.
            return
        context.reset()
        context.seen_limits.update(seen)
        token = _batch.set(answers)
        try:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        finally:
            _batch.reset(token)
