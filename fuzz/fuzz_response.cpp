// libFuzzer target: the client's response reader, fed the input as the bytes a server sends.
// Input: one byte choosing how the rest is split (see harness.hpp), then the server's bytes;
// after the last piece the server shuts its side down. read_response must then finish:
// with a response, or with one of the errors a hostile server earns (HTTPInputError,
// StreamClosedError, UnsatisfiableReadError; FetchError, fetch's own, is let pass). Anything
// else escaping, a sanitizer report, a body over the limit, or still waiting 5 s after the
// server closed, is a bug libFuzzer keeps. The head parser is fuzzed directly too.
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>

#include "09_http/gen.hpp"
#include "09_http/httpclient.hpp"
#include "09_http/iostream.hpp"
#include "common/fd.hpp"
#include "harness.hpp"

namespace {

using namespace std::chrono_literals;

// The server's side: sends the bytes piece by piece, one piece a turn, then shuts down.
// Stops when the reader is done (`done`), or when the reader closed the socket (EPIPE).
struct Sender {
  common::Fd socket;
  std::string bytes;
  std::size_t piece;
  std::size_t sent = 0;
  bool done = false;
};

void send_next(const std::shared_ptr<Sender>& sender) {
  if (sender->done) return;
  if (sender->sent < sender->bytes.size()) {
    const std::size_t n = std::min(sender->piece, sender->bytes.size() - sender->sent);
    const ssize_t written = ::send(sender->socket.get(), sender->bytes.data() + sender->sent, n, MSG_NOSIGNAL);
    if (written > 0) {
      sender->sent += static_cast<std::size_t>(written);
    } else if (errno != EAGAIN && errno != EINTR) {
      return;  // the reader closed its end: nothing more to send
    }
    fuzz::loop().add_callback([sender] { send_next(sender); });
  } else {
    ::shutdown(sender->socket.get(), SHUT_WR);
  }
}

void fuzz_head(const std::string& bytes) {
  try {
    const ch09::HTTPResponse response = ch09::parse_response_head(bytes);
    if (response.code < 0 || response.code > 999) fuzz::broken("a status code has three digits");
  } catch (const ch09::HTTPInputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::fail_on_logged_errors();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Input input = fuzz::split(data, size);
  fuzz_head(input.bytes);

  ch09::IOLoop& loop = fuzz::loop();
  common::SocketPair pair = common::make_socketpair();
  // A small read buffer, so a long body can also run into the stream's own bound.
  ch09::IOStream::Options stream_options;
  stream_options.max_buffer_size = 16 * 1024;
  stream_options.read_chunk_size = 4096;
  auto stream = std::make_shared<ch09::IOStream>(loop, std::move(pair.first), stream_options);
  auto sender = std::make_shared<Sender>(Sender{std::move(pair.second), input.bytes, input.piece});
  ch09::FetchOptions options;
  options.max_header_size = 2048;
  options.max_body_size = 8192;

  try {
    const ch09::HTTPResponse response = loop.run_sync(
        [&] {
          send_next(sender);
          return ch09::read_response(stream, options);
        },
        5s);
    if (response.body.size() > options.max_body_size) fuzz::broken("a body is within max_body_size");
  } catch (const ch09::HTTPInputError&) {
  } catch (const ch09::StreamClosedError&) {
  } catch (const ch09::UnsatisfiableReadError&) {
  } catch (const ch09::FetchError&) {
  } catch (const ch09::TimeoutError&) {
    // The server has shut its side down by now: there is nothing left to wait for.
    fuzz::broken("read_response ends once the server has closed");
  }
  sender->done = true;
  stream->close();
  sender->socket.close();
  fuzz::drain();
  if (loop.handler_count() != 0) fuzz::broken("a finished exchange leaves no fd in the loop");
  return 0;
}
