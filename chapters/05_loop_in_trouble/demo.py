# Chapter 5's demo on Tornado: the same job (three workers work out the squares at once and
# hand them back with add_callback); then a signal handed to the loop, a callback that blocks
# the loop and a watchdog that says so, and an error handler that follows the work (a stack
# context) and catches a failure two turns later.
import contextlib
import os
import signal
import threading
import time

from tornado.ioloop import IOLoop

loop = IOLoop()


def the_job():
    numbers = [1, 2, 3]
    squares = [0] * len(numbers)  # written on the loop's thread only
    answered = 0

    def deliver(i, square):  # on the loop's thread
        nonlocal answered
        squares[i] = square
        answered += 1
        if answered < len(numbers):
            return  # the last one to arrive adds them up
        print(f"client: all three squares are in ({squares[0]}, {squares[1]}, {squares[2]}); "
              f"the sum is {sum(squares)}")
        loop.stop()

    def work(i):
        time.sleep(0.005)  # the work, off the loop's thread
        loop.add_callback(deliver, i, numbers[i] * numbers[i])

    print("client: asking three workers at once for the squares of 1, 2 and 3")
    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(numbers))]
    for worker in workers:
        worker.start()
    loop.start()
    for worker in workers:
        worker.join()


print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")
the_job()

# ---- a signal. The handler hands the loop a function; the loop runs it on its next turn.
print("== a signal, handed to the loop ==")


def took_signal():
    print("the loop runs what the SIGUSR1 handler queued")
    loop.stop()


def raise_usr1():
    print("a callback raises SIGUSR1")
    signal.raise_signal(signal.SIGUSR1)
    print("the handler has returned; the callback goes on")


previous = signal.signal(signal.SIGUSR1, lambda signo, frame: loop.add_callback_from_signal(took_signal))
loop.add_callback(raise_usr1)
loop.start()
signal.signal(signal.SIGUSR1, previous)

# ---- a callback that blocks the loop. Tornado 4.5's set_blocking_signal_threshold armed a
# SIGALRM timer around every callback; Tornado 6, which this twin runs on, removed it (asyncio's
# debug mode warns only after the fact). So this twin arms the same timer by hand, around the
# one callback.
print("== a callback that blocks the loop, and the watchdog that says so ==")


def watchdog(signo, frame):
    os.write(1, b"watchdog: the loop has been stuck in one callback for over 20 ms\n")


def blocking_callback():
    print("a callback sleeps for 100 ms, blocking the loop", flush=True)  # before os.write
    time.sleep(0.1)
    print("the sleeping callback returns")
    loop.stop()


def watched(fn):
    def run():
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        try:
            fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return run


previous = signal.signal(signal.SIGALRM, watchdog)
loop.add_callback(watched(blocking_callback))
loop.start()
signal.signal(signal.SIGALRM, previous)


# ---- the last scene: a stack context. Tornado 4.5 had one (stack_context.ExceptionStackContext,
# and every add_callback and call_later wrapped its callback); Tornado 6, which this twin
# runs on, removed it. So this twin carries the handler by hand, with a tiny stand-in for
# 4.5's ExceptionStackContext and wrap(), and wraps each step where it schedules the next.
handlers = []  # the handlers open now, innermost last


@contextlib.contextmanager
def exception_stack_context(handler):
    handlers.append(handler)
    try:
        yield
    finally:
        handlers.pop()


def wrap(fn):
    captured = list(handlers)  # what is open where fn is scheduled...

    def wrapped(*args):
        global handlers
        saved, handlers = handlers, list(captured)  # ...is open again where it runs
        try:
            fn(*args)
        except Exception as e:
            for handler in reversed(captured):
                if handler(e):
                    return
            raise
        finally:
            handlers = saved

    return wrapped


def on_error(error):
    print(f"the handler opened before step 1 caught: {error}")
    loop.stop()
    return True  # handled: the loop's own report never hears of it


def step1():
    print("step 1 schedules step 2 in 1 ms")
    loop.call_later(0.001, wrap(step2))


def step2():
    print("step 2 schedules step 3")
    loop.add_callback(wrap(step3))


def step3():
    print("step 3 throws")
    raise RuntimeError("step 3 could not finish")


print("== an error handler that follows the work ==")
with exception_stack_context(on_error):
    loop.add_callback(wrap(step1))
    print("the handler's scope closes before step 1 runs")
loop.start()
print("the loop has stopped again")
