// What every benchmark program shares and no benchmark is about: the descriptor limit, CPU
// pinning, a flag of our own beside Google Benchmark's, and the peers' versions for the
// report's context.
#pragma once

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if BENCH_HAVE_LIBEVENT
#include <event2/event.h>
#endif
#if BENCH_HAVE_LIBUV
#include <uv.h>
#endif

namespace bench {

/// Raises the soft RLIMIT_NOFILE to the hard limit and returns the limit now in force. Says
/// so on stderr (and in the JSON context) when the hard limit is lower than `wanted`.
inline rlim_t raise_fd_limit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      std::fprintf(stderr, "note: could not raise the descriptor limit from %llu to %llu: %s\n",
                   static_cast<unsigned long long>(before),
                   static_cast<unsigned long long>(limit.rlim_max), std::strerror(errno));
      limit.rlim_cur = before;
    }
  }
  if (limit.rlim_cur < wanted) {
    std::fprintf(stderr,
                 "note: the descriptor limit is %llu (hard limit %llu), below the %llu this "
                 "benchmark would use; the largest sizes are left out (raise it with "
                 "`ulimit -Hn` as root, or in /etc/security/limits.conf)\n",
                 static_cast<unsigned long long>(limit.rlim_cur),
                 static_cast<unsigned long long>(limit.rlim_max),
                 static_cast<unsigned long long>(wanted));
  }
  benchmark::AddCustomContext("fd_limit", std::to_string(limit.rlim_cur));
  return limit.rlim_cur;
}

/// Pins the calling thread to one CPU for as long as it lives, then restores its old mask.
class PinnedThread {
 public:
  explicit PinnedThread(int cpu) {
    saved_ok_ = ::pthread_getaffinity_np(::pthread_self(), sizeof saved_, &saved_) == 0;
    pin(cpu);
  }
  ~PinnedThread() {
    if (saved_ok_) ::pthread_setaffinity_np(::pthread_self(), sizeof saved_, &saved_);
  }
  PinnedThread(const PinnedThread&) = delete;
  PinnedThread& operator=(const PinnedThread&) = delete;

  static bool pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
  }

 private:
  cpu_set_t saved_{};
  bool saved_ok_ = false;
};

/// The CPUs this process may run on (taskset narrows it), lowest first.
inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

/// What the single-threaded benchmarks time themselves with (Google Benchmark's manual time):
/// this thread's CPU time. What they time never sleeps, so on an idle machine it equals the
/// wall-clock time; on a busy one it leaves out the time other processes held our core, which
/// pinning cannot prevent. A read is a system call (about half a microsecond in a VM), so it
/// times nothing shorter than milliseconds here.
inline double thread_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/// Removes our own `flag` from argv before Google Benchmark parses it; true if it was there.
inline bool take_flag(int& argc, char** argv, std::string_view flag) {
  bool found = false;
  int out = 1;
  for (int in = 1; in < argc; ++in) {
    if (argv[in] == flag) {
      found = true;
    } else {
      argv[out++] = argv[in];
    }
  }
  argc = out;
  argv[argc] = nullptr;
  return found;
}

/// Records which peers this binary was built with, so the report can say so.
inline void record_peers() {
#if BENCH_HAVE_LIBEVENT
  benchmark::AddCustomContext("libevent", event_get_version());
#else
  benchmark::AddCustomContext("libevent", "not installed");
#endif
#if BENCH_HAVE_LIBUV
  benchmark::AddCustomContext("libuv", uv_version_string());
#else
  benchmark::AddCustomContext("libuv", "not installed");
#endif
}

/// main() for a program that registers its benchmarks at static initialisation.
inline int run_main(int argc, char** argv) {
  record_peers();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace bench
