// common/thread_pool.cpp -- see thread_pool.h.
//
// One pool for the whole program. parallel_tasks(n, fn) hands task t to thread
// (t % threads): thread 0 is the caller itself, threads 1.. are workers waiting
// between jobs. A job is published by bumping a generation counter; the caller runs
// its own share, then waits until every worker has reported back.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "float_env.h"

namespace common {

namespace {

// True on a pool worker and while the caller runs a job: nested parallel calls then
// run inline instead of waiting on themselves.
thread_local bool t_inside_job = false;

// Waiting has two stages. A thread first spins for a short while (about 100 us,
// politely, with the CPU's pause hint), because in a training loop the next job
// usually arrives within microseconds and waking a sleeping thread costs tens of
// microseconds. Then it sleeps on a condition variable, so an idle pool uses no CPU.
constexpr double kSpinSeconds = 100e-6;

inline void cpu_relax() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_ia32_pause();
#endif
}

// Spins until ready() or kSpinSeconds pass; returns ready().
template <class Ready>
bool spin_until(Ready&& ready) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (ready()) return true;
    cpu_relax();
    if ((i & 63) == 63 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
            kSpinSeconds)
      return ready();
  }
}

class ThreadPool {
 public:
  explicit ThreadPool(int threads) : threads_(std::max(1, threads)) {
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int size() const { return threads_; }

  void run(int n_tasks, const std::function<void(int)>& fn) {
    if (threads_ == 1 || n_tasks <= 1 || t_inside_job) {
      for (int t = 0; t < n_tasks; ++t) fn(t);
      return;
    }
    {
      // Publishing under the mutex means a worker that is about to sleep cannot miss it.
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      n_tasks_ = n_tasks;
      pending_.store(threads_ - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    t_inside_job = true;
    run_share(0, fn, n_tasks);
    t_inside_job = false;
    auto all_done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(all_done)) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, all_done);
    }
  }

 private:
  void run_share(int thread, const std::function<void(int)>& fn, int n_tasks) {
    for (int t = thread; t < n_tasks; t += threads_) fn(t);
  }

  void worker_loop(int thread) {
    t_inside_job = true;
    flush_denormals_to_zero();  // MXCSR is per thread
    uint64_t seen = 0;
    for (;;) {
      auto has_new_job = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      const std::function<void(int)>* fn;
      int n_tasks;
      {
        if (!spin_until(has_new_job)) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, has_new_job);
        }
        std::lock_guard<std::mutex> lock(mutex_);
        seen = generation_.load(std::memory_order_acquire);
        if (stopping_) return;
        fn = job_;
        n_tasks = n_tasks_;
      }
      run_share(thread, *fn, n_tasks);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's wait
        done_.notify_one();
      }
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int n_tasks_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
};

std::unique_ptr<ThreadPool>& pool_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}

ThreadPool& pool() {
  auto& p = pool_slot();
  if (!p) p = std::make_unique<ThreadPool>(hardware_threads());
  return *p;
}

}  // namespace

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void set_num_threads(int n) {
  if (n <= 0) n = hardware_threads();
  auto& p = pool_slot();
  if (p && p->size() == n) return;
  p.reset();  // joins the old workers
  p = std::make_unique<ThreadPool>(n);
}

int num_threads() {
  return pool().size();
}

void parallel_tasks(int n_tasks, const std::function<void(int)>& fn) {
  if (n_tasks <= 0) return;
  pool().run(n_tasks, fn);
}

void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  // Number of chunks: as many as threads, but none smaller than the grain. The chunk
  // boundaries depend only on (n, grain, threads): results are reproducible.
  const int64_t max_chunks = std::max<int64_t>(1, n / grain);
  const int chunks = static_cast<int>(std::min<int64_t>(num_threads(), max_chunks));
  if (chunks <= 1) {
    fn(begin, end);
    return;
  }
  parallel_tasks(chunks, [&](int c) {
    int64_t lo = begin + n * c / chunks;
    int64_t hi = begin + n * (c + 1) / chunks;
    if (lo < hi) fn(lo, hi);
  });
}

}  // namespace common
