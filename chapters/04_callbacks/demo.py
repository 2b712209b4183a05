# Chapter 4's demo on Tornado: the same job (three workers work out the squares at once and
# hand them back with add_callback); workers that report through a PeriodicCallback, and a
# callback that raises stops nothing.
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
