// Chapter 8's demo. First the book's one job (add up the squares of 1, 2 and 3, asking a
// square service), now over real sockets: the service is a TCP server speaking one number per
// line, and the client asks it over three connections at once, each an IOStream. Then the TCP
// server from the top of Tornado's IOLoop docs, written as the docs write it (a listening
// socket, add_handler, accept until EAGAIN, an IOStream per connection, read until the client
// closes), and then the same server with TCPServer, which does all that for it. Ports are
// picked by the kernel. demo.py is the same on Tornado.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "common/demo.hpp"
#include "gen.hpp"
#include "ioloop.hpp"
#include "iostream.hpp"
#include "tcpserver.hpp"

using namespace ch08;
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

// ---- the TCP server from Tornado's IOLoop docs, as the docs write it ----

// Each connection becomes a stream, read until the client closes.
Coroutine<void> handle_connection(int connection, Future<void> done) {
  auto stream = std::make_shared<IOStream>(*IOLoop::current(), common::Fd(connection));
  const std::string message = co_await stream->read_until_close();
  std::cout << "server: message from client: " << message << "\n";
  done.set_result();
}

// The listening socket is readable while clients wait: accept them all, until the kernel says
// EAGAIN (the docs' BlockingIOError), and start a coroutine for each.
void connection_ready(int sock, Future<void> done) {
  for (;;) {
    const int connection = ::accept4(sock, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (connection < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      throw std::system_error(errno, std::generic_category(), "accept");
    }
    IOLoop::current()->spawn_callback([connection, done] { return handle_connection(connection, done); });
  }
}

// A non-blocking socket listening on 127.0.0.1 (the docs use port 8888; we let the kernel pick).
common::Fd listening_socket(int& port) {
  common::Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(sock.get(), 128) != 0 ||
      ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind/listen");
  }
  port = ntohs(address.sin_port);
  return sock;
}

Coroutine<void> docs_client(int port, Future<void> server_done) {
  std::shared_ptr<IOStream> stream = co_await IOStream::connect(*IOLoop::current(), "127.0.0.1", port);
  std::cout << "client: connected, sending a message and closing\n";
  co_await stream->write("hello from the client");
  stream->close();
  co_await server_done;
}

// ---- the same server with TCPServer: it listens, accepts and makes the stream ----

Coroutine<void> handle_stream(std::shared_ptr<IOStream> stream, Future<void> done) {
  const std::string message = co_await stream->read_until_close();
  std::cout << "server: message from client: " << message << "\n";
  done.set_result();
}

}  // namespace

int main(int argc, char** argv) {
  IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "default");

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";
  TCPServer square_service(loop, [](std::shared_ptr<IOStream> stream, std::string) {
    serve_squares(std::move(stream));
  });
  const int service_port = square_service.listen(0);
  const int total = loop.run_sync([&] { return sum_of_squares(service_port); }, 500ms);
  std::cout << "client: the sum of the squares is " << total << "\n";

  std::cout << "== the TCP server from Tornado's IOLoop docs, as the docs write it ==\n";
  {
    int port = 0;
    const common::Fd sock = listening_socket(port);
    Future<void> done;
    loop.add_handler(sock.get(), [sock = sock.get(), done](int, unsigned) { connection_ready(sock, done); },
                     IOLoop::READ);
    loop.run_sync([&] { return docs_client(port, done); });
    loop.remove_handler(sock.get());
  }

  std::cout << "== the same server, with TCPServer ==\n";
  Future<void> server_done;
  TCPServer docs_server(loop, [server_done](std::shared_ptr<IOStream> stream, std::string) {
    handle_stream(std::move(stream), server_done);
  });
  const int docs_port = docs_server.listen(0);
  loop.run_sync([&] { return docs_client(docs_port, server_done); });
  std::cout << "done\n";
}
