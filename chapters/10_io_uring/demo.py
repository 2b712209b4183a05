# Chapter 10's demo on Tornado: chapter 9's program, line for line. Tornado has no io_uring
# loop, so this twin runs on its usual one; ours runs the same program on the ring, with the
# kernel doing every read and write, and prints the same lines: the program on top did not
# change. (The same job over sockets, the TCP server from the IOLoop docs, then an HTTP
# server with the classic handler, driven by a client.)
from datetime import timedelta

from tornado import gen
from tornado.concurrent import Future
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError, UnsatisfiableReadError
from tornado.tcpclient import TCPClient
from tornado.tcpserver import TCPServer
from tornado.testing import bind_unused_port
from tornado.web import Application, RequestHandler


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


class DocsServer(TCPServer):
    # The docs' server: each connection is read until the client closes, then printed.
    def __init__(self, done):
        super().__init__()
        self.done = done

    async def handle_stream(self, stream, address):
        message = await stream.read_until_close()
        print(f"server: message from client: {message.decode()}")
        self.done.set_result(None)


class Hello(RequestHandler):
    def get(self):
        print("server: GET /hello")
        self.write("Hello, world")


class Proxy(RequestHandler):
    # Tornado's classic handler: response = yield AsyncHTTPClient().fetch(url)
    async def get(self):
        print("server: GET /proxy, fetching the url it was given")
        got = await AsyncHTTPClient().fetch(self.get_argument("url"))
        self.write("proxied: " + got.body.decode())


async def main():
    print("== the job: add up the squares of 1, 2 and 3, asking a square service ==")
    sock, service_port = bind_unused_port()
    service = SquareService()
    service.add_sockets([sock])
    total = await gen.with_timeout(timedelta(milliseconds=500), sum_of_squares(service_port))
    # (the C++ demo gives run_sync the same 500 ms deadline)
    print(f"client: the sum of the squares is {total}")

    print("== the TCP server from Tornado's IOLoop docs ==")
    done = Future()
    sock, docs_port = bind_unused_port()
    docs_server = DocsServer(done)
    docs_server.add_sockets([sock])
    stream = await TCPClient().connect("127.0.0.1", docs_port)
    print("client: connected, sending a message and closing")
    await stream.write(b"hello from the client")
    stream.close()
    await done

    print("== an HTTP server, and a client that fetches from it ==")
    sock, http_port = bind_unused_port()
    http = HTTPServer(Application([("/hello", Hello), ("/proxy", Proxy)]))
    http.add_sockets([sock])
    base = f"http://127.0.0.1:{http_port}"
    client = AsyncHTTPClient()
    hello = await client.fetch(base + "/hello")
    print(f"client: {hello.code} {hello.reason}, {len(hello.body)} bytes: {hello.body.decode()}")
    proxied = await client.fetch(base + "/proxy?url=" + base + "/hello")
    print(f"client: {proxied.code} {proxied.reason}, {len(proxied.body)} bytes: {proxied.body.decode()}")
    try:
        await client.fetch("http://127.0.0.1:1/")
    except (OSError, StreamClosedError):
        print("client: a closed port refuses the connection, as expected")


IOLoop.current().run_sync(main)
print("done")
