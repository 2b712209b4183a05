#include "concurrent.hpp"

namespace ch08 {

ThreadPoolExecutor::ThreadPoolExecutor(std::size_t workers) {
  if (workers == 0) throw std::invalid_argument("ThreadPoolExecutor: needs at least one worker");
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back(work, queue_);
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

void ThreadPoolExecutor::submit(std::function<void()> job) {
  if (!job) throw std::invalid_argument("ThreadPoolExecutor::submit: the job is empty");
  {
    std::lock_guard lock(queue_->mutex);
    if (queue_->shut_down) {
      throw std::logic_error("ThreadPoolExecutor::submit: the executor is shut down");
    }
    queue_->jobs.push_back(std::move(job));
  }
  queue_->wake.notify_one();
}

void ThreadPoolExecutor::shutdown(bool wait) {
  {
    std::lock_guard lock(queue_->mutex);
    queue_->shut_down = true;
  }
  queue_->wake.notify_all();
  if (!wait) return;
  for (std::thread& worker : workers_) {
    if (!worker.joinable()) continue;
    if (worker.get_id() == std::this_thread::get_id()) {
      // Called from one of our own jobs: joining ourselves would deadlock, and destroying a
      // joinable std::thread calls std::terminate. It finishes on its own, on the shared Queue.
      worker.detach();
    } else {
      worker.join();
    }
  }
}

void ThreadPoolExecutor::work(const std::shared_ptr<Queue>& queue) {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(queue->mutex);
      queue->wake.wait(lock, [&] { return queue->shut_down || !queue->jobs.empty(); });
      if (queue->jobs.empty()) return;  // shut down, and nothing left to finish
      job = std::move(queue->jobs.front());
      queue->jobs.pop_front();
    }
    try {
      job();  // run_in_executor's jobs catch their own; this guards anyone else's
    } catch (...) {
      common::log(common::LogLevel::error, "ThreadPoolExecutor: a job threw; it is dropped");
    }
  }
}

}  // namespace ch08
