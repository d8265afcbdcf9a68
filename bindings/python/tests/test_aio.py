"""ccenter.aio: the loop's timers drive the engine (a real loop, a 50 ms ring timeout)."""
import asyncio

import ccenter
from ccenter import Cause, EventType


def test_ring_timeout_fires_from_the_loop():
    async def main():
        done = asyncio.Event()
        evs = []

        def on_event(ev):
            evs.append(ev)
            if ev.type == EventType.OFFER_WITHDRAWN:
                done.set()

        e = ccenter.aio.Engine(on_event=on_event, origin=0)
        try:
            q = e.add_queue("q", ring_timeout=50)
            a = e.add_agent("a", queues=[q])
            a.login()
            a.ready()
            e.enqueue("c", q)
            assert e.next_deadline is not None
            await asyncio.wait_for(done.wait(), 5)
            ev = evs[-1]
            assert ev.cause is Cause.RING_TIMEOUT and ev.time >= 50
            assert e.now >= 50
        finally:
            e.close()
        return True

    assert asyncio.run(main())


def test_errors_go_to_the_loop_handler():
    async def main():
        errors = []
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda lp, ctx: errors.append(ctx["exception"]))

        def on_event(ev):
            if ev.type == EventType.OFFER_WITHDRAWN:
                raise ValueError("handler")

        with ccenter.aio.Engine(on_event=on_event) as e:
            e.add_queue("q", ring_timeout=20)
            e.add_agent("a", queues=["q"])
            e.agent_login("a")
            e.agent_ready("a")
            e.enqueue("c", "q")
            for _ in range(100):
                await asyncio.sleep(0.01)
                if errors:
                    break
        assert isinstance(errors[0], ValueError)

    asyncio.run(main())
