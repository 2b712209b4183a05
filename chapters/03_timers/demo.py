# Chapter 3's demo on Tornado: the same countdown, with call_later and remove_timeout.
from tornado.ioloop import IOLoop

loop = IOLoop()
abort = None


def tick(n):
    if n == 0:
        print("liftoff!")
        loop.stop()
        return
    print(f"T-{n}")
    if n == 2:
        print("all systems go: cancelling the abort timer")
        loop.remove_timeout(abort)
    loop.call_later(0.020, tick, n - 1)  # re-armed from inside the callback


def on_abort():
    print("ABORT: the countdown took too long")
    loop.stop()


print("arming: countdown from 3, one tick every 20 ms")
loop.call_later(0.010, tick, 3)
abort = loop.call_later(0.500, on_abort)
loop.start()
print("the loop has stopped")
loop.remove_timeout(abort)  # harmless: it was removed already
print("removing the abort timer again did nothing")
