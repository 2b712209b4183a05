#include "concurrent.hpp"

namespace ch07 {

ThreadPoolExecutor::ThreadPoolExecutor(std::size_t workers) {
  if (workers == 0) throw std::invalid_argument("ThreadPoolExecutor: needs at least one worker");
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

void ThreadPoolExecutor::submit(std::function<void()> job) {
  if (!job) throw std::invalid_argument("ThreadPoolExecutor::submit: the job is empty");
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) {
      throw std::logic_error("ThreadPoolExecutor::submit: the executor is shut down");
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ThreadPoolExecutor::shutdown(bool wait) {
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
  }
  wake_.notify_all();
  if (!wait) return;
  for (std::thread& worker : workers_) {
    if (worker.joinable() && worker.get_id() != std::this_thread::get_id()) worker.join();
  }
}

void ThreadPoolExecutor::work() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return shut_down_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shut down, and nothing left to finish
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();  // run_in_executor's jobs catch their own; this guards anyone else's
    } catch (...) {
      common::log(common::LogLevel::error, "ThreadPoolExecutor: a job threw; it is dropped");
    }
  }
}

}  // namespace ch07
