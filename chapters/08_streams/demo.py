# Chapter 8's demo on Tornado: the same job over real sockets (a square service speaking one
# number per line, asked over three connections at once); the TCP server from the top of the
# IOLoop docs, written as the docs write it (add_handler, accept until BlockingIOError, an
# IOStream per connection); then the same server with TCPServer.
import functools
import socket
from datetime import timedelta

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamClosedError, UnsatisfiableReadError
from tornado.tcpclient import TCPClient
from tornado.tcpserver import TCPServer
from tornado.testing import bind_unused_port


class SquareService(TCPServer):
    # The square service, now a real server: numbers in, one per line; their squares out.
    async def handle_stream(self, stream, address):
        try:
            while True:
                line = await stream.read_until(b"\n", max_bytes=8)
                n = int(line)
                await stream.write(f"{n * n}\n".encode())
        except (StreamClosedError, UnsatisfiableReadError, ValueError):
            pass  # the client closed, sent too long a line, or not a number
        stream.close()


async def square(port, n):
    stream = await TCPClient().connect("127.0.0.1", port)
    await stream.write(f"{n}\n".encode())
    answer = await stream.read_until(b"\n")
    stream.close()
    return int(answer)


async def sum_of_squares(port):
    print("client: asking the service for the squares of 1, 2 and 3, over three "
          "connections at once")
    squares = await gen.multi([square(port, 1), square(port, 2), square(port, 3)])
    print(f"client: the squares are {squares[0]}, {squares[1]} and {squares[2]}")
    return sum(squares)


# ---- the TCP server from Tornado's IOLoop docs, as the docs write it ----
async def handle_connection(connection, done):
    stream = IOStream(connection)
    message = await stream.read_until_close()
    print(f"server: message from client: {message.decode()}")
    done.set_result(None)


def connection_ready(sock, done, fd, events):
    while True:
        try:
            connection, address = sock.accept()
        except BlockingIOError:
            return
        connection.setblocking(False)
        IOLoop.current().spawn_callback(handle_connection, connection, done)


async def docs_client(port, done):
    stream = await TCPClient().connect("127.0.0.1", port)
    print("client: connected, sending a message and closing")
    await stream.write(b"hello from the client")
    stream.close()
    await done


# ---- the same server with TCPServer: it listens, accepts and makes the stream ----
class DocsServer(TCPServer):
    def __init__(self, done):
        super().__init__()
        self.done = done

    async def handle_stream(self, stream, address):
        message = await stream.read_until_close()
        print(f"server: message from client: {message.decode()}")
        self.done.set_result(None)


async def main():
    print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")
    sock, service_port = bind_unused_port()
    service = SquareService()
    service.add_sockets([sock])
    total = await gen.with_timeout(timedelta(milliseconds=500), sum_of_squares(service_port))
    # (the C++ demo gives run_sync the same 500 ms deadline)
    print(f"client: the sum of the squares is {total}")

    print("== the TCP server from Tornado's IOLoop docs, as the docs write it ==")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setblocking(False)
    sock.bind(("127.0.0.1", 0))  # the docs use port 8888; we let the kernel pick
    sock.listen(128)
    done = Future()
    io_loop = IOLoop.current()
    io_loop.add_handler(sock.fileno(), functools.partial(connection_ready, sock, done), IOLoop.READ)
    await docs_client(sock.getsockname()[1], done)
    io_loop.remove_handler(sock.fileno())
    sock.close()

    print("== the same server, with TCPServer ==")
    done = Future()
    sock, docs_port = bind_unused_port()
    docs_server = DocsServer(done)
    docs_server.add_sockets([sock])
    await docs_client(docs_port, done)


IOLoop.current().run_sync(main)
print("done")
