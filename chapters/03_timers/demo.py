# Chapter 3's demo on Tornado: the same job (the service now answers 10 ms later, and the
# client has a deadline), then the same countdown, with call_later and remove_timeout.
import socket

from tornado.ioloop import IOLoop

loop = IOLoop()


def the_job():
    client, service = socket.socketpair()
    client.setblocking(False)
    service.setblocking(False)
    numbers = [1, 2, 3]
    asked = 0
    total = 0
    answer = None  # the service's answer while it is on its way

    def on_service(sock, events):
        nonlocal answer
        n = int(sock.recv(4096).decode())
        print(f"service: working out {n} squared; the answer goes out in 10 ms")
        answer = loop.call_later(0.010, lambda: sock.send(str(n * n).encode()))

    def on_deadline():
        print("client: no sum within 500 ms; giving up")
        loop.stop()

    deadline = loop.call_later(0.500, on_deadline)

    def on_client(sock, events):
        nonlocal asked, total
        if events & IOLoop.WRITE:
            print(f"client: asking for the square of {numbers[asked]}")
            sock.send(str(numbers[asked]).encode())
            asked += 1
            loop.update_handler(sock, IOLoop.READ)
            return
        square = int(sock.recv(4096).decode())
        total += square
        print(f"client: got {square}; the total is {total}")
        if asked < len(numbers):
            loop.update_handler(sock, IOLoop.WRITE)
        else:
            print(f"client: the sum of the squares is {total}; cancelling my deadline and stopping")
            loop.remove_timeout(deadline)
            loop.remove_handler(sock)
            loop.stop()

    loop.add_handler(service, on_service, IOLoop.READ)
    loop.add_handler(client, on_client, IOLoop.WRITE)
    loop.start()
    # However the run ended (the sum, or the deadline), nothing of the job outlives it.
    if answer is not None:
        loop.remove_timeout(answer)
    loop.remove_handler(client)
    loop.remove_handler(service)
    client.close()
    service.close()


print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")
the_job()

print("== a countdown, with timers alone ==")
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
