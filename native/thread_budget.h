// thread_budget.h: what needs threads starts before carriers can exhaust them, and a few are kept for Node past the limit (engine: no JS).
#pragma once

#include <uv.h>

#include "handoff.h"
#include "limits.h"

namespace greenstack {

// Node aborts when it cannot start a thread it needs (libuv's threadpool on first
// use, the inspector's IO thread, ...). Carriers can exhaust the system's limit, so
// before the first fiber the threadpool is started, and kSpareThreads sleeping
// threads hold slots that are given back the moment a carrier cannot be created.
class ThreadBudget {
 public:
  ~ThreadBudget() { ReleaseSpares(); }

  // Hub side, before the first fiber (and before the CPU pin, so these threads
  // keep the process's mask). Spares only matter to backends whose strands are
  // threads. Idempotent.
  void Start(bool spares);
  // Hub side: creating a carrier failed; free the spare slots for Node's own use.
  // Returns false if they were already released.
  bool ReleaseSpares();

 private:
  struct Spare {
    uv_thread_t thread{};
    Handoff wake;
    bool running = false;
  };
  static void SpareMain(void* arg);

  bool threadpool_started_ = false;
  bool spares_started_ = false;
  Spare spares_[limits::kSpareThreads];
};

// Starts libuv's threadpool now (it starts lazily, on first use, from the calling
// thread) and drains the request on a private loop.
void StartThreadpool();

}  // namespace greenstack
