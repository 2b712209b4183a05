# Chapter 4's demo on Tornado: the same job (three workers work out the squares at once and
# hand them back with add_callback); workers that report through a PeriodicCallback, and a
# callback that raises stops nothing. Then an error handler that follows the work (a stack
# context) catches a failure two turns later.
import contextlib
import threading
import time

from tornado.ioloop import IOLoop, PeriodicCallback

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

print("== workers that report through a PeriodicCallback ==")
WORKERS = 3
started = 0
result = None  # (worker, square): touched on the loop's thread only
worker = None
ticker = None


def start_worker():
    global started, worker
    started += 1
    n = started
    print(f"starting worker {n}")

    def work():
        time.sleep(0.005)  # the "work", off the loop's thread
        square = n * n
        if n == 2:
            loop.add_callback(bad_callback)
        loop.add_callback(deliver, n, square)

    worker = threading.Thread(target=work)
    worker.start()


def bad_callback():
    print("a callback from worker 2 throws")
    raise RuntimeError("worker 2 sent garbage first")


def deliver(n, square):
    global result
    result = (n, square)


def tick():
    global result
    if result is None:
        return  # nothing new since the last tick
    n, square = result
    result = None
    worker.join()
    print(f"progress: worker {n} computed {n} * {n} = {square}")
    if started < WORKERS:
        start_worker()
        return
    print("all workers done: stopping the ticker and the loop")
    ticker.stop()
    loop.stop()


def begin():
    global ticker
    print("the loop is running")
    start_worker()
    ticker = PeriodicCallback(tick, 10)
    ticker.start()


loop.add_callback(begin)
loop.start()
print("the loop has stopped")


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
