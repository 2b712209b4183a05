// Chapter 10's demo: chapter 9's program, unchanged but for its loop, which now runs on
// io_uring. Every stream hands its reads and writes to the kernel (the completion model):
// the square service and its three clients, the TCP server from Tornado's IOLoop docs, the
// HTTP server and its fetching client. What it prints is what chapter 9's demo printed, and
// what demo.py prints on Tornado, which has no io_uring loop: the model underneath changed,
// the program on top did not. `./tutorial demo 10 --trace` shows the difference: handlers
// are now rare, and phase (6) finishes the recv and send operations the ring completed.
// Where io_uring is refused (an old kernel, a sandbox), it says so and runs on epoll.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "gen.hpp"
#include "httpclient.hpp"
#include "httpserver.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpserver.hpp"

using namespace ch10;
using namespace std::chrono_literals;

namespace {

// ---- the job ----

// The square service, now a real server: a client sends numbers, one per line, and gets each
// one's square back, until it closes. A line that is not a short number ends the connection.
Coroutine<void> serve_squares(std::shared_ptr<IOStream> stream) {
  try {
    for (;;) {
      const std::string line = co_await stream->read_until("\n", 8);  // |n| < 10^7: n * n fits
      const long long n = std::stoll(line);
      co_await stream->write(std::to_string(n * n) + "\n");
    }
  } catch (const std::exception&) {
    // The client closed (StreamClosedError), sent too long a line, or not a number.
  }
  stream->close();
}

// One question, one connection: connect, send n, read the answer line.
Coroutine<int> square(int port, int n) {
  std::shared_ptr<IOStream> stream = co_await IOStream::connect(*IOLoop::current(), "127.0.0.1", port);
  co_await stream->write(std::to_string(n) + "\n");
  const std::string answer = co_await stream->read_until("\n");
  stream->close();
  co_return std::stoi(answer);
}

// Chapter 7's coroutine, with the worker threads replaced by a server across a socket.
Coroutine<int> sum_of_squares(int port) {
  std::cout << "client: asking the service for the squares of 1, 2 and 3, over three "
               "connections at once\n";
  const std::vector<Future<int>> answers = {square(port, 1), square(port, 2), square(port, 3)};
  const std::vector<int> squares = co_await multi(answers);  // all three, in the order asked
  std::cout << "client: the squares are " << squares[0] << ", " << squares[1] << " and "
            << squares[2] << "\n";
  co_return squares[0] + squares[1] + squares[2];
}

// ---- end of the job ----

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
  std::string backend = common::poller_argument(argc, argv, "uring");
  if (backend == "uring") {
    if (const std::string refused = uring_refusal(); !refused.empty()) {
      std::cerr << refused << "; this demo runs on epoll instead\n";
      backend = "epoll";
    }
  }
  IOLoop loop = common::make_loop_or_exit<IOLoop>(argv[0], backend);

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";
  TCPServer square_service(loop, [](std::shared_ptr<IOStream> stream, std::string) {
    serve_squares(std::move(stream));
  });
  const int service_port = square_service.listen(0);
  const int total = loop.run_sync([&] { return sum_of_squares(service_port); }, 500ms);
  std::cout << "client: the sum of the squares is " << total << "\n";

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
