// Question: how many requests per second does chapter 7's HTTP server answer, on each poller,
// next to libevent's evhttp and Tornado itself, all answering "Hello, world" on loopback?
// wrk is the client (a program nobody here wrote), pinned to the other core; each row is one
// bounded wrk run, and its rate is reported as items per second (requests/s).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "final_chapter.hpp"

#if BENCH_HAVE_LIBEVENT
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#endif

namespace {

namespace chapter = final_chapter;  // the HTTP server arrives with chapter 7
using namespace std::chrono_literals;

int seconds_per_run = 3;  // --quick: 1

std::string shell(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
    ::pclose(pipe);
  }
  return out;
}

bool have(const std::string& tool) {
  return shell("command -v " + tool + " >/dev/null 2>&1 && echo yes") == "yes\n";
}

// The second core for wrk when there is one (the server runs where this process is pinned).
std::string wrk_prefix() {
  if (have("taskset") && std::thread::hardware_concurrency() > 1) return "taskset -c 1 ";
  return "";
}

struct WrkResult {
  double requests_per_second = 0;
  double requests = 0;
  bool errors = false;
  std::string output;
};

WrkResult run_wrk(int port) {
  WrkResult result;
  result.output = shell(wrk_prefix() + "wrk -t1 -c32 -d" + std::to_string(seconds_per_run) +
                        "s --timeout 5s http://127.0.0.1:" + std::to_string(port) + "/ 2>&1");
  if (const auto at = result.output.find("Requests/sec:"); at != std::string::npos) {
    result.requests_per_second = std::atof(result.output.c_str() + at + 13);
  }
  if (const auto at = result.output.find(" requests in "); at != std::string::npos) {
    std::size_t start = result.output.rfind('\n', at);
    result.requests = std::atof(result.output.c_str() + (start == std::string::npos ? 0 : start + 1));
  }
  result.errors = result.output.find("Socket errors") != std::string::npos ||
                  result.output.find("Non-2xx") != std::string::npos;
  return result;
}

void report(benchmark::State& state, const WrkResult& result) {
  if (result.requests_per_second <= 0) {
    state.SkipWithError(("wrk gave no rate: " + result.output.substr(0, 200)).c_str());
    return;
  }
  // One iteration that "took" as long as the requests would at the measured rate, so Google
  // Benchmark's items_per_second is wrk's requests/s.
  state.SetIterationTime(result.requests / result.requests_per_second);
  state.SetItemsProcessed(static_cast<int64_t>(result.requests));
  state.counters["items"] = result.requests;  // what report.py divides the time by
  state.counters["errors"] = result.errors ? 1 : 0;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool wait_until_listening(int port) {
  for (int i = 0; i < 200; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (up) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

// ---------------------------------------------------------------- ours, on each backend

void BM_HTTP_Ours(benchmark::State& state, const char* backend) {
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  for (auto _ : state) {
    std::promise<int> port;
    chapter::IOLoop* running = nullptr;
    std::thread server([&] {
      chapter::IOLoop loop(backend);
      chapter::HTTPServer http(loop);
      http.route("/", [](chapter::HTTPRequest) -> chapter::Coroutine<chapter::HTTPResponse> {
        chapter::HTTPResponse response;
        response.body = "Hello, world";
        co_return response;
      });
      running = &loop;
      port.set_value(http.listen(0));
      loop.start();
    });
    const WrkResult result = run_wrk(port.get_future().get());
    running->add_callback([running] { running->stop(); });  // the one call safe from here
    server.join();
    report(state, result);
  }
}
BENCHMARK_CAPTURE(BM_HTTP_Ours, select, "select")->Name("BM_HTTP/ours:select")->UseManualTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_HTTP_Ours, poll, "poll")->Name("BM_HTTP/ours:poll")->UseManualTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_HTTP_Ours, epoll, "epoll")->Name("BM_HTTP/ours:epoll")->UseManualTime()->Iterations(1);

// ---------------------------------------------------------------- libevent's evhttp

#if BENCH_HAVE_LIBEVENT
void BM_HTTP_Libevent(benchmark::State& state) {
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  evthread_use_pthreads();  // so another thread may break the loop
  for (auto _ : state) {
    event_base* base = event_base_new();
    evhttp* http = evhttp_new(base);
    evhttp_set_gencb(
        http,
        [](evhttp_request* request, void*) {
          evbuffer* body = evbuffer_new();
          evbuffer_add(body, "Hello, world", 12);
          evhttp_send_reply(request, 200, "OK", body);
          evbuffer_free(body);
        },
        nullptr);
    evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&address), &length);
    std::thread server([base] { event_base_dispatch(base); });
    const WrkResult result = run_wrk(ntohs(address.sin_port));
    event_base_loopbreak(base);
    server.join();
    evhttp_free(http);
    event_base_free(base);
    report(state, result);
  }
}
BENCHMARK(BM_HTTP_Libevent)->Name("BM_HTTP/libevent_evhttp")->UseManualTime()->Iterations(1);
#endif

// ---------------------------------------------------------------- Tornado itself

void BM_HTTP_Tornado(benchmark::State& state) {
  std::string python;
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    if (shell(std::string(candidate) + " -c 'import tornado' >/dev/null 2>&1 && echo yes") == "yes\n") {
      python = candidate;
      break;
    }
  }
  if (python.empty() || !have("wrk")) {
    state.SkipWithError("needs Debian's python3-tornado and wrk: run ./tutorial setup");
    return;
  }
  static constexpr const char* hello_world =
      "import sys, tornado.ioloop, tornado.web\n"
      "class Hello(tornado.web.RequestHandler):\n"
      "    def get(self):\n"
      "        self.write('Hello, world')\n"
      "tornado.web.Application([('/', Hello)]).listen(int(sys.argv[1]), '127.0.0.1')\n"
      "tornado.ioloop.IOLoop.current().start()\n";
  for (auto _ : state) {
    const int port = free_port();
    const std::string pid = shell(python + " -c \"" + std::string(hello_world) + "\" " + std::to_string(port) +
                                  " >/dev/null 2>&1 & echo $!");
    if (!wait_until_listening(port)) {
      shell("kill " + pid);
      state.SkipWithError("Tornado's hello world did not start");
      return;
    }
    const WrkResult result = run_wrk(port);
    shell("kill " + pid);
    report(state, result);
  }
}
BENCHMARK(BM_HTTP_Tornado)->Name("BM_HTTP/tornado")->UseManualTime()->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
  // Our own flag first: --quick makes each wrk run one second instead of three.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") {
      seconds_per_run = 1;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
