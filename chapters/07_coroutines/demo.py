# Chapter 7's demo on Tornado: the same job as a coroutine (gen.multi waits for the three
# squares at once), then the delayed sum three ways, then moment, a failure caught at
# the yield, with_timeout, and cancellation. Python writes generators' state machines itself,
# so parts 2 and 3 of the C++ demo (a hand-written state machine, a C++20 coroutine) are both
# this one @gen.coroutine function here.
import asyncio
import time
from datetime import timedelta

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

loop = IOLoop()


def square(n):
    # The square service, as in chapter 6: n * n, worked out on a worker thread.
    def work():
        time.sleep(0.005)  # blocks a worker, never the loop
        return n * n

    return IOLoop.current().run_in_executor(None, work)


@gen.coroutine
def sum_of_squares():
    print("client: asking three workers at once for the squares of 1, 2 and 3")
    squares = yield gen.multi([square(1), square(2), square(3)])
    print(f"client: the squares are {squares[0]}, {squares[1]} and {squares[2]}")
    return sum(squares)


def delayed(value, seconds):
    future = Future()
    IOLoop.current().call_later(seconds, lambda: future.set_result(value))
    return future


def sum_with_callbacks():
    result = Future()
    print("   asking for 1, due in 30 ms")

    def on_first(a):
        print(f"   got {a.result()}; asking for 2, due in 10 ms")
        first = a.result()

        def on_second(b):
            print(f"   got {b.result()}; the sum is {first + b.result()}")
            result.set_result(first + b.result())

        IOLoop.current().add_future(delayed(2, 0.010), on_second)

    IOLoop.current().add_future(delayed(1, 0.030), on_first)
    return result


@gen.coroutine
def delayed_sum():
    print("   asking for 1, due in 30 ms")
    a = yield delayed(1, 0.030)
    print(f"   got {a}; asking for 2, due in 10 ms")
    b = yield delayed(2, 0.010)
    print(f"   got {b}; the sum is {a + b}")
    return a + b


@gen.coroutine
def take_turns(name, out):
    for _ in range(4):
        out.append(name)
        yield gen.moment


@gen.coroutine
def both_take_turns():
    out = []
    a = take_turns("a", out)
    b = take_turns("b", out)
    yield a
    yield b
    print(f"   {''.join(out)}")


@gen.coroutine
def catch_at_the_yield():
    lookup = Future()
    IOLoop.current().call_later(0.005, lambda: lookup.set_exception(RuntimeError("no such user")))
    try:
        yield lookup
    except RuntimeError as e:
        print(f"   caught: {e}")


@gen.coroutine
def give_up_waiting():
    try:
        yield gen.with_timeout(timedelta(milliseconds=20), delayed("too late", 1.0))
    except TimeoutError as e:
        print(f"   with_timeout raised TimeoutError: {e}")


# ---- scene 7: cancellation (a request the coroutine answers where it waits) ----
# Native coroutines: Tornado 6 runs them as asyncio Tasks, which can be cancelled (a
# @gen.coroutine's Future can be cancelled too, but its generator never hears of it).


async def download():
    print("   download: started, due in 1 s")
    try:
        await gen.sleep(1.0)
        print("   download: finished")
    except asyncio.CancelledError:
        print("   download: cancelled while waiting; removing the partial file")
        raise


async def cancel_a_download():
    job = asyncio.ensure_future(download())
    await gen.sleep(0.020)
    print(f"   cancel() returned {'true' if job.cancel() else 'false'}")
    try:
        await job
    except asyncio.CancelledError:
        print("   the download ended cancelled")


# ---- end of scene 7 ----


print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")
total = loop.run_sync(sum_of_squares, timeout=0.500)  # the deadline, as in chapter 6
print(f"client: run_sync returned the sum of the squares: {total}")

print("== the Runner, and what coroutines add ==")
print("1. the delayed sum with callbacks")
loop.run_sync(sum_with_callbacks)
print("2. the same sum as a hand-written state machine, driven by the Runner")
loop.run_sync(delayed_sum)
print("3. the same sum as a C++20 coroutine")
print(f"   run_sync returned {loop.run_sync(delayed_sum)}")
print("4. moment: two coroutines take turns")
loop.run_sync(both_take_turns)
print("5. a failed Future is raised at the yield, and caught there")
loop.run_sync(catch_at_the_yield)
print("6. with_timeout gives up; the slow Future is not cancelled")
loop.run_sync(give_up_waiting)
# ---- scene 7: cancellation ----
print("7. cancel() asks a coroutine to stop; it cleans up where it waits")
loop.run_sync(cancel_a_download)
print("   run_sync's timeout cancels its coroutine the same way")
try:
    loop.run_sync(download, timeout=0.050)
except TimeoutError as e:
    print(f"   then run_sync raised TimeoutError: {e}")
# ---- end of scene 7 ----
