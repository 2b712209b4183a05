# Chapter 6's demo on Tornado: the same job (each square a Future that run_in_executor
# resolves, added up by callbacks: the callback soup), then Futures resolved by timers,
# add_future, and run_sync with an exception and with a timeout.
import time

from tornado.concurrent import Future, future_set_result_unless_cancelled
from tornado.ioloop import IOLoop

loop = IOLoop()


def delayed(value, seconds):
    # A Future that a timer resolves later: how the docs simulate a slow I/O operation.
    # (Unless it was cancelled meanwhile, as run_sync's timeout does: then the value is dropped.)
    future = Future()
    loop.call_later(seconds, lambda: future_set_result_unless_cancelled(future, value))
    return future


def square(n):
    # The square service, chapter 4's worker made into a Future: n * n, worked out off the loop.
    def work():
        time.sleep(0.005)  # blocks a worker, never the loop
        return n * n

    return loop.run_in_executor(None, work)


def sum_of_squares():
    result = Future()
    state = {"total": 0, "pending": 3}  # what a coroutine would keep in local variables

    def on_square(f):
        state["total"] += f.result()
        state["pending"] -= 1
        if state["pending"] == 0:
            # Had the deadline cancelled `result`, a plain set_result would raise here.
            future_set_result_unless_cancelled(result, state["total"])

    for n in (1, 2, 3):
        loop.add_future(square(n), on_square)
    return result


print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")
print("client: asking three workers at once for the squares of 1, 2 and 3")
total = loop.run_sync(sum_of_squares, timeout=0.500)  # the deadline
print(f"client: run_sync returned the sum of the squares: {total}")

print("== Futures, add_future and run_sync ==")
print("1. add_future: a Future that call_later resolves 10 ms later")


def example_one():
    done = Future()

    def on_done(f):
        print(f"   the add_future callback got {f.result()}")
        done.set_result(None)

    loop.add_future(delayed(42, 0.010), on_done)
    print("   waiting for it...")
    return done


loop.run_sync(example_one)

print("2. an exception travels through the Future to run_sync's caller")


def failing():
    future = Future()
    loop.call_later(0.005, lambda: future.set_exception(ValueError("no such user")))
    return future


try:
    loop.run_sync(failing)
except ValueError as e:
    print(f"   run_sync raised: {e}")

print("3. run_sync with a timeout that expires first")
late = delayed("late", 1.0)
try:
    loop.run_sync(lambda: late, timeout=0.050)
except TimeoutError as e:
    print(f"   run_sync raised TimeoutError: {e}")
print(f"   and cancelled the Future it waited for: cancelled() is {str(late.cancelled()).lower()}")
again = loop.run_sync(lambda: delayed("again", 0.005))
print(f"   and the loop runs {again}")
