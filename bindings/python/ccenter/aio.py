"""asyncio: an Engine driven by the running loop's timers.

    async def main():
        e = ccenter.aio.Engine(on_event=handle)   # inside the running loop
        ...                                        # calls without `now`: the loop's time

The engine's clock is the loop's (`loop.time()`) in ms, starting at `origin` (default: the
wall clock's ms since the epoch when the engine is made). Through the engine's public
deadline hook one `loop.call_at` timer is kept at the next deadline; when it fires the
engine advances. An exception from that advance (a callback's) goes to the loop's
exception handler, as for any loop callback. Not thread-safe: use the loop's thread.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

from ccenter import engine as _engine


class Engine(_engine.Engine):
    """An Engine whose clock is the running loop's and whose timers fire from it."""

    def __init__(self, *, loop: Optional[asyncio.AbstractEventLoop] = None,
                 origin: Optional[int] = None, **kwargs: Any):
        if "clock" in kwargs:
            raise TypeError("aio.Engine: the clock is the loop's")
        self._loop = loop or asyncio.get_running_loop()
        self._t0 = self._loop.time()
        self._origin = int(time.time() * 1000) if origin is None else origin
        self._timer = None
        super().__init__(None, clock=self._loop_ms, **kwargs)
        self.set_deadline_hook(self._arm)

    def _loop_ms(self) -> int:
        ms = self._origin + int((self._loop.time() - self._t0) * 1000)
        # The loop may fire a timer a little before its time: never go back.
        return max(ms, self.now) if self._ptr != _engine.ffi.NULL else ms

    def _when(self, deadline: int) -> float:
        return self._t0 + (deadline - self._origin) / 1000.0

    def _arm(self, deadline: Optional[int]) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = self._loop.call_at(self._when(deadline), self._fire, deadline)

    def _fire(self, deadline: int) -> None:
        self._timer = None
        if self.closed:
            return
        try:
            self.advance(max(deadline, self._loop_ms()))
        except Exception as exc:
            self._loop.call_exception_handler({
                "message": "ccenter.aio: advancing the engine raised",
                "exception": exc})

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().close()
