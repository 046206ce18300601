// common/thread_pool.h -- one persistent pool of worker threads for the whole program.
//
// Programs call set_num_threads(n) once (from --threads); every parallel loop in the
// project then goes through parallel_for(). With 1 thread everything runs inline on
// the calling thread. An idle worker spins politely for about 100 us (the next job of a
// training loop usually comes within microseconds), then sleeps on a condition variable.
//
// Determinism: parallel_for splits [begin, end) into contiguous chunks whose
// boundaries depend only on the range, the grain and the thread count, never on
// timing. A nested parallel_for (called from inside a worker) runs inline.
//
// Exceptions: a task may throw. The tasks already running finish, the ones not yet
// started are skipped, and when all are done the first exception is rethrown on the
// thread that called parallel_for / parallel_tasks. The pool is then ready for the next
// job. One job runs at a time: calls from several threads at once are serialised.
#pragma once

#include <cstdint>
#include <functional>

namespace common {

// Sets the number of threads used by parallel_for (n <= 0: the hardware's count).
// Call it between jobs, from the thread that starts them; from inside a task it throws
// std::logic_error (replacing the pool there would wait for itself).
void set_num_threads(int n);
int num_threads();
int hardware_threads();

// Calls fn(chunk_begin, chunk_end) over disjoint chunks covering [begin, end), in
// parallel. Chunks hold at least `grain` items (unless the whole range is smaller); at most
// num_threads() chunks are made. Returns when all chunks are done.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn);

// Calls fn(t) for t = 0 .. n_tasks-1, spread over the pool: each thread claims the
// next unclaimed task, so a thread that the OS has paused delays nobody. What task t
// computes must not depend on which thread runs it. The building block under
// parallel_for and gemm.
void parallel_tasks(int n_tasks, const std::function<void(int)>& fn);

// What it costs to hand a job to the pool: the median time of 31 jobs whose tasks only wait
// until every thread holds one, measured on the first call for the current pool (a few
// microseconds, once) and remembered. gemm uses it to decide when a product is big enough to split.
// 0 with one thread; from inside a task (where it cannot be measured) the last value measured, or
// 10 us.
double parallel_hand_off_seconds();

}  // namespace common
