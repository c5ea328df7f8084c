// thread_budget.cc: starting libuv's threadpool early, and the spare threads that keep slots for Node (engine: no JS).
#include "thread_budget.h"

namespace greenstack {

namespace {
void WarmupWork(uv_work_t*) {}
void WarmupDone(uv_work_t*, int) {}
}  // namespace

// Started from a private loop drained before returning: a request left on Node's
// loop kept a worker that ended at once from closing its loop (abort in
// uv_loop_close), or completed onto the freed loop (segfault).
void StartThreadpool() {
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return;
  uv_work_t req;
  if (uv_queue_work(&loop, &req, WarmupWork, WarmupDone) == 0) {
    // The pool exists now; if the no-op has not been picked up, it need not run.
    uv_cancel(reinterpret_cast<uv_req_t*>(&req));
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
}

void ThreadBudget::SpareMain(void* arg) { static_cast<Spare*>(arg)->wake.Wait(); }

void ThreadBudget::Start(bool spares) {
  if (!threadpool_started_) {
    threadpool_started_ = true;
    StartThreadpool();
  }
  if (!spares || spares_started_) return;
  spares_started_ = true;
  for (Spare& spare : spares_) {
    uv_thread_options_t opts;
    opts.flags = UV_THREAD_HAS_STACK_SIZE;
    opts.stack_size = 64 * 1024;  // it only sleeps
    spare.running = uv_thread_create_ex(&spare.thread, &opts, SpareMain, &spare) == 0;
  }
}

bool ThreadBudget::ReleaseSpares() {
  bool any = false;
  for (Spare& spare : spares_) {
    if (!spare.running) continue;
    spare.wake.Post();
    uv_thread_join(&spare.thread);
    spare.running = false;
    any = true;
  }
  return any;
}

}  // namespace greenstack
