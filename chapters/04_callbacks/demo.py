# Chapter 4's demo on Tornado: workers hand results back with add_callback, a
# PeriodicCallback reports progress, and a callback that raises stops nothing.
import threading
import time

from tornado.ioloop import IOLoop, PeriodicCallback

loop = IOLoop()
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
