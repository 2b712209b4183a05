# Chapter 2's demo on Tornado: the same job (the sum of the squares of 1, 2 and 3, asked of
# a square service over a socketpair), with IOLoop.add_handler.
import socket

from tornado.ioloop import IOLoop

loop = IOLoop()
client, service = socket.socketpair()
client.setblocking(False)
service.setblocking(False)
numbers = [1, 2, 3]
asked = 0
total = 0

print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")


def on_service(sock, events):
    n = int(sock.recv(4096).decode())
    print(f"service: {n} squared is {n * n}")
    sock.send(str(n * n).encode())


def on_client(sock, events):
    global asked, total
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
        print(f"client: the sum of the squares is {total}; removing my handler and stopping")
        loop.remove_handler(sock)
        loop.stop()


loop.add_handler(service, on_service, IOLoop.READ)
loop.add_handler(client, on_client, IOLoop.WRITE)

print("starting the loop")
loop.start()
print("the loop has stopped")
loop.close(all_fds=True)
print(f"closed: client {'open' if client.fileno() >= 0 else 'closed'}, "
      f"service {'open' if service.fileno() >= 0 else 'closed'}")
