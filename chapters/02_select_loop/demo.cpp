// Chapter 2's demo: an echo over the two ends of a socketpair, driven by I/O handlers only.
// The client sends a message when its end is writable, waits for the echo, and repeats;
// the server echoes whatever arrives. demo.py is the same program on Tornado's IOLoop.
//
// Run with a backend name to watch the same program on another poller:
//     build/chapters/02_select_loop/02_select_loop poll
#include <iostream>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "ioloop.hpp"

using namespace ch02;

int main(int argc, char** argv) {
  IOLoop loop(argc > 1 ? argv[1] : "select");
  auto [client, server] = common::make_socketpair();
  const std::vector<std::string> messages = {"ping 1", "ping 2", "ping 3"};
  std::size_t sent = 0;

  // The server only ever waits to read, and answers with what it read.
  loop.add_handler(server, [](common::Fd& sock, unsigned) {
    const std::string data = common::read_some(sock.fileno());
    std::cout << "server: received '" << data << "', echoing it back\n";
    common::write_all(sock.fileno(), data);
  }, IOLoop::READ);

  // The client alternates: writable -> send one message, then wait (READ) for its echo.
  loop.add_handler(client, [&](common::Fd& sock, unsigned events) {
    if (events & IOLoop::WRITE) {
      std::cout << "client: sending '" << messages[sent] << "'\n";
      common::write_all(sock.fileno(), messages[sent++]);
      loop.update_handler(sock, IOLoop::READ);
      return;
    }
    std::cout << "client: echo '" << common::read_some(sock.fileno()) << "' came back\n";
    if (sent < messages.size()) {
      loop.update_handler(sock, IOLoop::WRITE);
    } else {
      std::cout << "client: that was the last one; removing my handler and stopping\n";
      loop.remove_handler(sock);
      loop.stop();
    }
  }, IOLoop::WRITE);

  std::cout << "starting the loop\n";
  loop.start();
  std::cout << "the loop has stopped\n";
  // close(true) closes what is still registered, through its own close(): only the server's
  // end, since the client removed its handler before stopping.
  loop.close(true);
  std::cout << "closed: client " << (client ? "open" : "closed") << ", server "
            << (server ? "open" : "closed") << "\n";
}
