# Chapter 5's demo on Tornado: Futures resolved by timers, add_future, callback soup,
# run_in_executor, and run_sync with an exception and with a timeout.
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

print("2. the sum of three delayed values, with callbacks only")


def delayed_sum():
    result = Future()
    state = {"total": 0, "pending": 3}  # what a coroutine would keep in local variables

    def on_value(f):
        state["total"] += f.result()
        print(f"   got {f.result()}; running total {state['total']}")
        state["pending"] -= 1
        if state["pending"] == 0:
            result.set_result(state["total"])

    for value, ms in ((1, 30), (2, 10), (3, 20)):
        loop.add_future(delayed(value, ms / 1000), on_value)
    return result


print(f"   run_sync returned {loop.run_sync(delayed_sum)}")

print("3. run_in_executor: blocking work on a worker thread")


def slow_square():
    time.sleep(0.005)  # blocks a worker, never the loop
    return 7 * 7


print(f"   run_sync returned {loop.run_sync(lambda: loop.run_in_executor(None, slow_square))}")

print("4. an exception travels through the Future to run_sync's caller")


def failing():
    future = Future()
    loop.call_later(0.005, lambda: future.set_exception(ValueError("no such user")))
    return future


try:
    loop.run_sync(failing)
except ValueError as e:
    print(f"   run_sync raised: {e}")

print("5. run_sync with a timeout that expires first")
late = delayed("late", 1.0)
try:
    loop.run_sync(lambda: late, timeout=0.050)
except TimeoutError as e:
    print(f"   run_sync raised TimeoutError: {e}")
print(f"   and cancelled the Future it waited for: cancelled() is {str(late.cancelled()).lower()}")
again = loop.run_sync(lambda: delayed("again", 0.005))
print(f"   and the loop runs {again}")
