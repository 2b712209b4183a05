// Chapter 7's demo: the loop doing real work. First the TCP server from Tornado's IOLoop
// docs (read until the client closes, print the message), then a small HTTP server with
// Tornado's classic handler (a route that awaits fetch() and answers with what it got),
// driven by our own client. Ports are picked by the kernel. demo.py is the same on Tornado.
#include <iostream>
#include <memory>
#include <string>

#include "gen.hpp"
#include "httpclient.hpp"
#include "httpserver.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpserver.hpp"

using namespace ch07;

namespace {

// The docs' server: each connection is read until the client closes, then printed.
Coroutine<void> handle_connection(std::shared_ptr<IOStream> stream, Future<void> done) {
  const std::string message = co_await stream->read_until_close();
  std::cout << "server: message from client: " << message << "\n";
  done.set_result();
}

Coroutine<void> docs_client(int port, Future<void> server_done) {
  std::shared_ptr<IOStream> stream = co_await IOStream::connect(*IOLoop::current(), "127.0.0.1", port);
  std::cout << "client: connected, sending a message and closing\n";
  co_await stream->write("hello from the client");
  stream->close();
  co_await server_done;
}

Coroutine<void> http_client(std::string base) {
  const HTTPResponse hello = co_await fetch(base + "/hello");
  std::cout << "client: " << hello.code << " " << hello.reason << ", " << hello.body.size()
            << " bytes: " << hello.body << "\n";
  const HTTPResponse proxied = co_await fetch(base + "/proxy?url=" + base + "/hello");
  std::cout << "client: " << proxied.code << " " << proxied.reason << ", " << proxied.body.size()
            << " bytes: " << proxied.body << "\n";
  try {
    co_await fetch("http://127.0.0.1:1/");
  } catch (const FetchError&) {
    std::cout << "client: a closed port refuses the connection, as expected\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  IOLoop loop(argc > 1 ? argv[1] : "default");

  std::cout << "== the TCP server from Tornado's IOLoop docs ==\n";
  Future<void> server_done;
  TCPServer docs_server(loop, [server_done](std::shared_ptr<IOStream> stream, std::string) {
    handle_connection(std::move(stream), server_done);
  });
  const int docs_port = docs_server.listen(0);
  loop.run_sync([&] { return docs_client(docs_port, server_done); });

  std::cout << "== an HTTP server, and a client that fetches from it ==\n";
  HTTPServer http(loop);
  http.route("/hello", [](HTTPRequest) -> Coroutine<HTTPResponse> {
    std::cout << "server: GET /hello\n";
    HTTPResponse response;
    response.body = "Hello, world";
    co_return response;
  });
  // Tornado's classic handler: response = yield AsyncHTTPClient().fetch(url)
  http.route("/proxy", [](HTTPRequest request) -> Coroutine<HTTPResponse> {
    std::cout << "server: GET /proxy, fetching the url it was given\n";
    const HTTPResponse got = co_await fetch(request.argument("url").value_or(""));
    HTTPResponse response;
    response.body = "proxied: " + got.body;
    co_return response;
  });
  const int http_port = http.listen(0);
  loop.run_sync([&] { return http_client("http://127.0.0.1:" + std::to_string(http_port)); });
  std::cout << "done\n";
}
