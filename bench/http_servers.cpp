// Question: how many requests per second does chapter 9's HTTP server answer, on each poller
// (and, from chapter 10, on io_uring: its streams' I/O done by the ring, the completion model,
// and, as "uring-readiness", chapter 8's readiness code on the ring's polls), next to
// libevent's evhttp, nginx, Boost.Beast and Tornado itself, all answering
// "Hello, world" on loopback? And (BM_HTTP_C10K) how much does each request cost once the
// server also holds thousands of idle keep-alive connections, the C10K problem?
// wrk is the client (a program nobody here wrote), pinned to the other core; each row is one
// bounded wrk run, and its rate is reported as items per second (requests/s).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "final_chapter.hpp"

#if BENCH_HAVE_LIBEVENT
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#endif

#if BENCH_HAVE_ASIO
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#endif

extern char** environ;

namespace {

namespace chapter = final_chapter;  // the HTTP server arrives with chapter 9
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

// The core a server in a child process is pinned to: the first one this process may run on,
// which is where `./tutorial bench` pins us (core 0), so nginx gets the core our loop gets.
int server_core() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(0, sizeof cpus, &cpus) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &cpus)) return cpu;
    }
  }
  return 0;
}

struct WrkResult {
  double requests_per_second = 0;
  double requests = 0;
  bool errors = false;
  std::string output;
};

// One wrk thread and `connections` keep-alive connections, each sending its next request as
// soon as the last answer is in: the server, not the client, sets the pace.
WrkResult run_wrk(int port, int connections = 32) {
  WrkResult result;
  result.output = shell(wrk_prefix() + "wrk -t1 -c" + std::to_string(connections) + " -d" +
                        std::to_string(seconds_per_run) + "s --timeout 5s http://127.0.0.1:" +
                        std::to_string(port) + "/ 2>&1");
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
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  return address;
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in address = loopback(port);
  const bool up = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return up;
}

bool wait_until_listening(int port) {
  for (int i = 0; i < 200; ++i) {
    if (accepts_connections(port)) return true;
    std::this_thread::sleep_for(25ms);
  }
  return false;
}

// Descriptors this process has open now (client ends and the in-process servers' ends alike).
int open_descriptors() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    --count;  // opendir's own
  }
  return count;
}

// ---------------------------------------------------------------- ours, on each backend

// The row's name for our server on a uring loop whose streams keep chapter 8's readiness
// code (IOStream::Options::use_ring = false): the ring only answers POLL_ADDs, and the
// streams call recv() and send() themselves. Plain "uring" is the completion model, the
// default on a uring loop: the ring does the streams' recv and send.
constexpr std::string_view uring_readiness = "uring-readiness";

// Chapter 8's server with its loop on a thread of its own, as a program would run it.
// Throws what the loop's constructor threw when the backend cannot be had here (io_uring
// refused: std::system_error saying so).
class OursServer {
 public:
  explicit OursServer(const char* backend) {
    thread_ = std::thread([this, backend] {
      bool started = false;
      try {
        const bool readiness = backend == uring_readiness;
        chapter::IOLoop loop(readiness ? "uring" : backend);
        chapter::HTTPServer http(loop);
        http.route("/", [](chapter::HTTPRequest) -> chapter::Coroutine<chapter::HTTPResponse> {
          chapter::HTTPResponse response;
          response.body = "Hello, world";
          co_return response;
        });
        std::optional<chapter::TCPServer> readiness_tcp;
        const int port = bench::listen_hello(loop, http, readiness, readiness_tcp);
        loop_ = &loop;
        started = true;
        port_.set_value(port);
        loop.start();
      } catch (...) {
        if (!started) port_.set_exception(std::current_exception());
        else throw;
      }
    });
    try {
      port_number_ = port_.get_future().get();
    } catch (...) {
      thread_.join();
      throw;
    }
    descriptors_ = open_descriptors();
  }
  ~OursServer() {
    // Clients that left are closed by the server when it reads their end of stream, in a
    // turn of its own: wait for that, so no connection outlives the row with its loop gone.
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (open_descriptors() > descriptors_ && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
    loop_->add_callback([loop = loop_] { loop->stop(); });  // the one call safe from here
    thread_.join();
  }
  OursServer(const OursServer&) = delete;
  OursServer& operator=(const OursServer&) = delete;

  int port() const { return port_number_; }

 private:
  std::promise<int> port_;
  int port_number_ = 0;
  int descriptors_ = 0;  // open while it only listens
  chapter::IOLoop* loop_ = nullptr;
  std::thread thread_;
};

// Our server on `backend`, or null after skipping the row with the reason it cannot run
// here (io_uring refused by the kernel or a sandbox: the loop's own message).
std::unique_ptr<OursServer> start_ours(benchmark::State& state, const char* backend) {
  try {
    return std::make_unique<OursServer>(backend);
  } catch (const std::exception& e) {
    state.SkipWithError((std::string(backend) + ": " + e.what()).c_str());
    return nullptr;
  }
}

void BM_HTTP_Ours(benchmark::State& state, const char* backend) {
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  for (auto _ : state) {
    const auto server = start_ours(state, backend);
    if (!server) break;
    report(state, run_wrk(server->port()));
  }
}
BENCHMARK_CAPTURE(BM_HTTP_Ours, select, "select")->Name("BM_HTTP/ours:select")->UseManualTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_HTTP_Ours, poll, "poll")->Name("BM_HTTP/ours:poll")->UseManualTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_HTTP_Ours, epoll, "epoll")->Name("BM_HTTP/ours:epoll")->UseManualTime()->Iterations(1);
// Chapter 10: the completion model (the ring does recv and send), and readiness over the ring.
BENCHMARK_CAPTURE(BM_HTTP_Ours, uring, "uring")->Name("BM_HTTP/ours:uring")->UseManualTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_HTTP_Ours, uring_readiness, "uring-readiness")
    ->Name("BM_HTTP/ours:uring-readiness")->UseManualTime()->Iterations(1);

// Many busy connections, none idle: wrk keeps 512 or 2,000 connections sending. Each wait
// then finds many requests ready, which is where epoll should pull ahead of poll: poll
// hands the kernel the whole array every wait, epoll only collects what is ready.
void BM_HTTP_Busy(benchmark::State& state, const char* backend) {
  const int connections = static_cast<int>(state.range(0));
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  // Both ends of every connection are in this process: wrk's are not, but ours are.
  if (std::string_view(backend) == "select" && connections + 32 >= FD_SETSIZE) {
    state.SkipWithError(("select watches only descriptors below FD_SETSIZE (" + std::to_string(FD_SETSIZE) +
                         "): too few for " + std::to_string(connections) + " connections")
                            .c_str());
    return;
  }
  for (auto _ : state) {
    const auto server = start_ours(state, backend);
    if (!server) break;
    report(state, run_wrk(server->port(), connections));
  }
}
void busy_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("connections");
  for (const int connections : {512, 2000}) b->Arg(connections);
  b->UseManualTime()->Iterations(1);
}
BENCHMARK_CAPTURE(BM_HTTP_Busy, select, "select")->Name("BM_HTTP_Busy/ours:select")->Apply(busy_sizes);
BENCHMARK_CAPTURE(BM_HTTP_Busy, poll, "poll")->Name("BM_HTTP_Busy/ours:poll")->Apply(busy_sizes);
BENCHMARK_CAPTURE(BM_HTTP_Busy, epoll, "epoll")->Name("BM_HTTP_Busy/ours:epoll")->Apply(busy_sizes);
BENCHMARK_CAPTURE(BM_HTTP_Busy, uring, "uring")->Name("BM_HTTP_Busy/ours:uring")->Apply(busy_sizes);
BENCHMARK_CAPTURE(BM_HTTP_Busy, uring_readiness, "uring-readiness")
    ->Name("BM_HTTP_Busy/ours:uring-readiness")->Apply(busy_sizes);

// ---------------------------------------------------------------- libevent's evhttp

#if BENCH_HAVE_LIBEVENT
// evhttp on libevent's default backend (epoll here), its loop on a thread of its own.
class LibeventServer {
 public:
  LibeventServer() {
    static const int threads = evthread_use_pthreads();  // once: so another thread may break the loop
    (void)threads;
    base_ = event_base_new();
    http_ = evhttp_new(base_);
    evhttp_set_gencb(
        http_,
        [](evhttp_request* request, void*) {
          evbuffer* body = evbuffer_new();
          evbuffer_add(body, "Hello, world", 12);
          evhttp_send_reply(request, 200, "OK", body);
          evbuffer_free(body);
        },
        nullptr);
    evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http_, "127.0.0.1", 0);
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([base = base_] { event_base_dispatch(base); });
  }
  ~LibeventServer() {
    event_base_loopbreak(base_);
    thread_.join();
    evhttp_free(http_);  // closes the connections it still holds
    event_base_free(base_);
  }
  LibeventServer(const LibeventServer&) = delete;
  LibeventServer& operator=(const LibeventServer&) = delete;

  int port() const { return port_; }

 private:
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

void BM_HTTP_Libevent(benchmark::State& state) {
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  for (auto _ : state) {
    LibeventServer server;
    report(state, run_wrk(server.port()));
  }
}
BENCHMARK(BM_HTTP_Libevent)->Name("BM_HTTP/libevent_evhttp")->UseManualTime()->Iterations(1);
#endif

// ---------------------------------------------------------------- nginx

std::string find_nginx() {
  // Debian puts it in /usr/sbin, which a user's PATH may lack.
  std::string found = shell("command -v nginx 2>/dev/null");
  while (!found.empty() && (found.back() == '\n' || found.back() == ' ')) found.pop_back();
  if (!found.empty()) return found;
  return ::access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A configuration of our own, so no system nginx and no /etc/nginx file takes part: one
// process (no master, no daemon) whose one loop answers every request, as ours does.
std::string nginx_config(const std::string& dir, int port) {
  return "# Written by bench/http_servers.cpp for one run, and removed after it.\n"
         "daemon off;\n"
         "master_process off;\n"
         "worker_processes 1;\n"
         "pid " + dir + "/nginx.pid;\n"
         "error_log " + dir + "/error.log;\n"
         "events { worker_connections 1024; }\n"
         "http {\n"
         "  access_log off;\n"
         // Debian compiles in paths under /var/lib/nginx, which nginx creates at start.
         "  client_body_temp_path " + dir + "/body;\n"
         "  proxy_temp_path " + dir + "/proxy;\n"
         "  fastcgi_temp_path " + dir + "/fastcgi;\n"
         "  uwsgi_temp_path " + dir + "/uwsgi;\n"
         "  scgi_temp_path " + dir + "/scgi;\n"
         // By default nginx closes a keep-alive connection after 1,000 requests; ours never
         // does, so neither does nginx here: every server gets wrk's 32 connections for good.
         "  keepalive_requests 1000000000;\n"
         "  server {\n"
         "    listen 127.0.0.1:" + std::to_string(port) + ";\n"
         "    location / { return 200 \"Hello, world\"; }\n"
         "  }\n"
         "}\n";
}

void BM_HTTP_Nginx(benchmark::State& state) {
  const std::string nginx = find_nginx();
  if (nginx.empty() || !have("wrk")) {
    state.SkipWithError("needs Debian's nginx-light and wrk: run ./tutorial bench, which installs them");
    return;
  }
  for (auto _ : state) {
    std::string dir = (std::filesystem::temp_directory_path() / "bench_nginx.XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) {
      state.SkipWithError(("cannot make a directory for nginx: " + std::string(std::strerror(errno))).c_str());
      return;
    }
    const int port = free_port();
    std::ofstream(dir + "/nginx.conf") << nginx_config(dir, port);

    // taskset pins nginx and then becomes it, so the pid we hold is nginx's own.
    std::vector<std::string> args;
    if (have("taskset")) args = {"taskset", "-c", std::to_string(server_core())};
    args.insert(args.end(), {nginx, "-e", dir + "/error.log", "-p", dir + "/", "-c", dir + "/nginx.conf"});
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    ::posix_spawn_file_actions_init(&files);
    const std::string output = dir + "/output.log";
    ::posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int spawned = ::posix_spawnp(&pid, argv[0], &files, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&files);

    // Up to 5 s for it to listen, unless it exits first (a configuration it refuses).
    bool up = false;
    bool exited = spawned != 0;
    for (int i = 0; i < 200 && !up && !exited; ++i) {
      exited = ::waitpid(pid, nullptr, WNOHANG) == pid;
      up = !exited && accepts_connections(port);
      if (!up) std::this_thread::sleep_for(25ms);
    }
    WrkResult result;
    if (up) result = run_wrk(port);
    if (!exited) {
      ::kill(pid, SIGTERM);  // nginx's fast shutdown
      ::waitpid(pid, nullptr, 0);
    }
    // What nginx said, on one line: the first lines say why it would not start.
    std::string log = read_text(dir + "/output.log") + read_text(dir + "/error.log");
    std::replace(log.begin(), log.end(), '\n', ' ');
    while (!log.empty() && log.back() == ' ') log.pop_back();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (!up) {
      const std::string why = spawned != 0 ? "cannot run " + args[0] + ": " + std::strerror(spawned)
                              : exited     ? "nginx exited at start: " + log.substr(0, 300)
                                           : "nginx did not listen within 5 s: " + log.substr(0, 300);
      state.SkipWithError(why.c_str());
      return;
    }
    report(state, result);
  }
}
BENCHMARK(BM_HTTP_Nginx)->Name("BM_HTTP/nginx")->UseManualTime()->Iterations(1);

// ---------------------------------------------------------------- Boost.Beast

#if BENCH_HAVE_ASIO
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// One connection, in Beast's callback style: read a request, answer it, and go back to
// reading while the client keeps the connection alive. Each pending operation's handler
// holds the connection, which closes its socket when the last one is gone.
class BeastConnection : public std::enable_shared_from_this<BeastConnection> {
 public:
  explicit BeastConnection(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
    socket_.set_option(asio::ip::tcp::no_delay(true));  // as ours and nginx do
  }

  void read_request() {
    request_ = {};
    http::async_read(socket_, buffer_, request_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (!error) self->answer();  // else the client left (or sent no HTTP): let it go
    });
  }

 private:
  void answer() {
    response_ = {};
    response_.version(request_.version());
    response_.result(http::status::ok);
    response_.set(http::field::content_type, "text/plain");
    response_.keep_alive(request_.keep_alive());
    response_.body() = "Hello, world";
    response_.prepare_payload();
    http::async_write(socket_, response_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (!error && self->response_.keep_alive()) self->read_request();
    });
  }

  asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void accept_connections(asio::ip::tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) std::make_shared<BeastConnection>(std::move(socket))->read_request();
    accept_connections(acceptor);
  });
}

void BM_HTTP_Beast(benchmark::State& state) {
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  for (auto _ : state) {
    asio::io_context context(1);  // the hint that one thread runs it, as ours is run
    asio::ip::tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
    const int port = acceptor.local_endpoint().port();  // before its thread owns it
    accept_connections(acceptor);
    std::thread server([&context] { context.run(); });
    const WrkResult result = run_wrk(port);
    context.stop();  // safe from any thread
    server.join();
    acceptor.close();
    // The context's destructor destroys the handlers still pending, and with them the
    // connections they hold.
    report(state, result);
  }
}
BENCHMARK(BM_HTTP_Beast)->Name("BM_HTTP/asio_beast")->UseManualTime()->Iterations(1);
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

// ---------------------------------------------------------------- C10K: many idle, few busy

// wrk's busy connections in a C10K row: few, as the C10K problem has it (thousands of
// clients connected, few sending at any moment). With 8, a poller that wakes finds at most 8
// requests to spread its cost over; select and poll pay for every idle descriptor on every
// wake-up, so the idle thousands show in the time per request instead of hiding behind a
// batch of 32. (BM_HTTP's rows keep 32; the idle:0 rows here are the baseline at 8.)
constexpr int c10k_busy = 8;

// `count` keep-alive connections held by this process while wrk runs. Each one sends one
// whole request and reads its answer, then stays open and sends nothing more: the server
// has then accepted and served it, and holds it as a kept-alive stream waiting for its next
// request (registered for reading, with its idle timeout running), which is what a browser's
// idle connection costs a server. A connection that never sent a byte might still sit in
// the listen queue, never accepted, and cost the server nothing.
class IdleConnections {
 public:
  IdleConnections() = default;
  ~IdleConnections() {
    // Closed with a reset, not a FIN: a socket that closes first waits out TIME_WAIT (60 s
    // on Linux), and 9,000 a row, over every row and repetition, would crowd the kernel's
    // table of them. The server reads the reset as the end of the connection, as a FIN.
    const linger reset{1, 0};
    for (const int fd : fds_) {
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(fd);
    }
  }
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  // Empty when all are open and served; else what went wrong.
  std::string open(int port, int count) {
    static constexpr std::string_view request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const sockaddr_in address = loopback(port);
    // In batches smaller than the servers' listen backlogs (128): on loopback connect()
    // returns before the server accepts, and a connection beyond a full backlog is dropped
    // and retried only a second later.
    constexpr int batch = 64;
    for (int first = 0; first < count; first += batch) {
      const std::size_t start = fds_.size();
      for (int i = first; i < std::min(count, first + batch); ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return "idle connection " + std::to_string(i) + ": socket: " + std::strerror(errno);
        fds_.push_back(fd);
        const timeval patience{5, 0};  // a server that never answers fails the row, not the run
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
            ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
          return "idle connection " + std::to_string(i) + ": " + std::strerror(errno);
        }
      }
      for (std::size_t j = start; j < fds_.size(); ++j) {
        // Every server here answers with the 12-byte body last; the answer is in when it is.
        std::string answer;
        std::array<char, 1024> buffer{};
        while (answer.find("Hello, world") == std::string::npos) {
          const ssize_t n = ::recv(fds_[j], buffer.data(), buffer.size(), 0);
          if (n <= 0) {
            return "idle connection " + std::to_string(j) + " got no answer (" +
                   (n == 0 ? std::string("closed") : std::string(std::strerror(errno))) + ")";
          }
          answer.append(buffer.data(), static_cast<std::size_t>(n));
        }
      }
    }
    return "";
  }

 private:
  std::vector<int> fds_;
};

// Why a row cannot run here, or empty. Both ends of every idle connection live in this
// process (its client end, and the server's accepted end), so it needs 2K descriptors.
std::string c10k_unfit(int idle, bool select) {
  const int needed = open_descriptors() + 2 * idle + c10k_busy + 16;  // 16: the loop's own, spare
  if (select && needed >= FD_SETSIZE) {
    return "select watches only descriptors below FD_SETSIZE (" + std::to_string(FD_SETSIZE) + "); " +
           std::to_string(idle) + " idle connections need about " + std::to_string(needed) +
           " here (each one's client end and server end)";
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(needed + 64) > limit.rlim_cur) {
    return std::to_string(idle) + " idle connections need about " + std::to_string(needed + 64) +
           " descriptors in this process (each one's client end and server end), but RLIMIT_NOFILE's hard limit is " +
           std::to_string(limit.rlim_cur) + " (raise it: ulimit -Hn, or nofile in limits.conf)";
  }
  return "";
}

// Opens the idle connections, runs wrk beside them, reports, and closes them all again.
void run_with_idle(benchmark::State& state, int port, int idle) {
  IdleConnections connections;
  if (const std::string error = connections.open(port, idle); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  report(state, run_wrk(port, c10k_busy));
  state.counters["busy"] = c10k_busy;  // for report.py's figure
}

void BM_HTTP_C10K_Ours(benchmark::State& state, const char* backend) {
  const int idle = static_cast<int>(state.range(0));
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  if (const std::string why = c10k_unfit(idle, std::string_view(backend) == "select"); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  for (auto _ : state) {
    const auto server = start_ours(state, backend);
    if (!server) break;
    run_with_idle(state, server->port(), idle);
  }
}

// 0 to 9,000 idle connections: 9,000 keeps 2 x 9,000 descriptors within a hard limit of
// 20,000, and leaves room in the 28,000 local ports Linux hands out by default.
void c10k_sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("idle");
  for (const int idle : {0, 1000, 5000, 9000}) b->Arg(idle);
  b->UseManualTime()->Iterations(1);
}
BENCHMARK_CAPTURE(BM_HTTP_C10K_Ours, select, "select")->Name("BM_HTTP_C10K/ours:select")->Apply(c10k_sizes);
BENCHMARK_CAPTURE(BM_HTTP_C10K_Ours, poll, "poll")->Name("BM_HTTP_C10K/ours:poll")->Apply(c10k_sizes);
BENCHMARK_CAPTURE(BM_HTTP_C10K_Ours, epoll, "epoll")->Name("BM_HTTP_C10K/ours:epoll")->Apply(c10k_sizes);
BENCHMARK_CAPTURE(BM_HTTP_C10K_Ours, uring, "uring")->Name("BM_HTTP_C10K/ours:uring")->Apply(c10k_sizes);
BENCHMARK_CAPTURE(BM_HTTP_C10K_Ours, uring_readiness, "uring-readiness")
    ->Name("BM_HTTP_C10K/ours:uring-readiness")->Apply(c10k_sizes);

#if BENCH_HAVE_LIBEVENT
void BM_HTTP_C10K_Libevent(benchmark::State& state) {
  const int idle = static_cast<int>(state.range(0));
  if (!have("wrk")) {
    state.SkipWithError("wrk is not installed: run ./tutorial setup");
    return;
  }
  if (const std::string why = c10k_unfit(idle, false); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  for (auto _ : state) {
    LibeventServer server;
    run_with_idle(state, server.port(), idle);
  }
}
BENCHMARK(BM_HTTP_C10K_Libevent)->Name("BM_HTTP_C10K/libevent_evhttp")->Apply(c10k_sizes);
#endif

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
  // The C10K rows hold thousands of connections, both ends in this process: take every
  // descriptor the hard limit allows (the soft limit is often 1,024).
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  benchmark::AddCustomContext("fd_limit", limit.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(limit.rlim_cur));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
