# Chapter 7's demo on Tornado: the TCP server from the IOLoop docs, then an HTTP server
# with the classic handler (a route that awaits AsyncHTTPClient.fetch), driven by a client.
from tornado.concurrent import Future
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.tcpclient import TCPClient
from tornado.tcpserver import TCPServer
from tornado.testing import bind_unused_port
from tornado.web import Application, RequestHandler


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
