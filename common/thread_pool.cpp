// common/thread_pool.cpp -- see thread_pool.h.
//
// One pool for the whole program. The caller of parallel_tasks(n, fn) and the
// workers (sleeping between jobs) claim the n tasks one by one from a shared counter;
// the caller returns when all n are finished. A job is published by bumping a
// generation counter.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "float_env.h"

namespace common {

namespace {

// True on a pool worker and while the caller runs a job: nested parallel calls then
// run inline instead of waiting on themselves.
thread_local bool t_inside_job = false;

// Sets t_inside_job for one scope and clears it on the way out, even when a task throws.
struct InsideJob {
  InsideJob() { t_inside_job = true; }
  ~InsideJob() { t_inside_job = false; }
  InsideJob(const InsideJob&) = delete;
  InsideJob& operator=(const InsideJob&) = delete;
};

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
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
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

  double hand_off_seconds() {
    if (threads_ == 1) return 0.0;
    double known = hand_off_.load(std::memory_order_acquire);
    if (known >= 0.0) return known;
    if (t_inside_job) return 10e-6;  // run() would run inline: nothing to measure
    // Each task waits until every thread holds one, so that the time includes a worker
    // noticing the job (empty tasks would all be claimed by the caller at once).
    std::vector<double> seconds(31);
    for (double& t : seconds) {
      std::atomic<int> started{0};
      const auto start = std::chrono::steady_clock::now();
      run(threads_, [&](int) {
        started.fetch_add(1, std::memory_order_acq_rel);
        while (started.load(std::memory_order_acquire) < threads_) cpu_relax();
      });
      t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::nth_element(seconds.begin(), seconds.begin() + 15, seconds.end());
    hand_off_.store(seconds[15], std::memory_order_release);
    return seconds[15];
  }

  // One job at a time: a second thread calling run() waits for the first job to end
  // (run_mutex_). A task that throws does not stop the others already running; tasks not
  // yet started are skipped, and once every task is finished (or skipped) the first
  // exception is rethrown here, on the caller.
  void run(int n_tasks, const std::function<void(int)>& fn) {
    if (t_inside_job) {  // nested: the pool is busy with the job we are part of
      for (int t = 0; t < n_tasks; ++t) fn(t);
      return;
    }
    InsideJob inside;  // also marks the inline case, so set_num_threads can refuse
    if (threads_ == 1 || n_tasks <= 1) {
      for (int t = 0; t < n_tasks; ++t) fn(t);
      return;
    }
    std::lock_guard<std::mutex> one_job(run_mutex_);
    uint32_t generation;
    {
      // Publishing under the mutex means a worker that is about to sleep cannot miss it.
      std::lock_guard<std::mutex> lock(mutex_);
      generation = generation_.load(std::memory_order_relaxed) + 1;
      job_.store(&fn, std::memory_order_relaxed);
      n_tasks_.store(n_tasks, std::memory_order_relaxed);
      finished_.store(0, std::memory_order_relaxed);
      failed_.store(false, std::memory_order_relaxed);
      first_error_ = nullptr;
      next_task_.store(static_cast<uint64_t>(generation) << 32, std::memory_order_release);
      generation_.store(generation, std::memory_order_release);
    }
    wake_.notify_all();
    run_tasks(generation, &fn, n_tasks);  // never throws: task exceptions are caught inside
    auto all_done = [&] { return finished_.load(std::memory_order_acquire) == n_tasks; };
    if (!spin_until(all_done)) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, all_done);
    }
    // Every task has finished, so no thread touches first_error_ any more.
    if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
  }

 private:
  // Claims tasks of job `generation` one at a time until none is left. Tasks are
  // handed out first come, first served: if a worker has been descheduled (another
  // program is busy on the other core), the caller simply does its share. Which
  // thread runs a task never changes what the task computes, so results stay the same.
  // The claim counter holds (generation << 32 | next task), so a worker that wakes up
  // late can never claim a task of a newer job by mistake.
  // The job's function and task count are passed in, read together with `generation` (under
  // the mutex, by the worker): reading them from the shared fields here instead let a worker
  // still inside the previous job pair that job's claim counter with the next job's larger
  // task count, claim a task that did not exist, run it from the next job and count it twice
  // (a hang, first seen when a job of 8 tasks followed a job of 2).
  void run_tasks(uint32_t generation, const std::function<void(int)>* job, int n_tasks) {
    for (;;) {
      uint64_t claim = next_task_.load(std::memory_order_acquire);
      if (static_cast<uint32_t>(claim >> 32) != generation) return;
      const int task = static_cast<int>(claim & 0xFFFFFFFFu);
      if (task >= n_tasks) return;
      if (!next_task_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) continue;
      // Having claimed a task, this job cannot finish (and be replaced) before we do.
      run_one(job, task);
      if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_tasks) {
        std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's wait
        done_.notify_one();
      }
    }
  }

  // Runs one task, keeping the job's first exception instead of letting it escape (on a
  // worker it would reach std::terminate). After a failure the remaining tasks are
  // skipped, but each still counts as finished so that the caller's wait ends.
  void run_one(const std::function<void(int)>* job, int task) {
    if (failed_.load(std::memory_order_acquire)) return;
    try {
      (*job)(task);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!first_error_) first_error_ = std::current_exception();
      failed_.store(true, std::memory_order_release);
    }
  }

  void worker_loop() {
    t_inside_job = true;
    flush_denormals_to_zero();  // MXCSR is per thread
    uint32_t seen = 0;
    for (;;) {
      auto has_new_job = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(has_new_job)) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, has_new_job);
      }
      const std::function<void(int)>* job;
      int n_tasks;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        seen = generation_.load(std::memory_order_acquire);
        job = job_.load(std::memory_order_relaxed);
        n_tasks = n_tasks_.load(std::memory_order_relaxed);
      }
      run_tasks(seen, job, n_tasks);
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::atomic<int> n_tasks_{0};
  std::atomic<int> finished_{0};
  std::atomic<uint64_t> next_task_{0};
  std::atomic<uint32_t> generation_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr first_error_;      // guarded by mutex_ while the job runs
  std::mutex run_mutex_;                // held by the one caller of run()
  std::atomic<double> hand_off_{-1.0};  // hand_off_seconds(), once measured
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
  // Replacing the pool joins its workers; from inside a task that would wait on itself.
  if (t_inside_job) throw std::logic_error("set_num_threads called from inside a parallel task");
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

double parallel_hand_off_seconds() {
  return pool().hand_off_seconds();
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
