// carrier.h: the pool of OS threads that host fibers, and the hub <-> carrier handoff (engine: no JS).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "affinity.h"
#include "handoff.h"
#include "switcher.h"

namespace greenstack {

class CarrierPool;

// One OS thread with its own native stack. It runs one fiber at a time; between
// fibers it sleeps in the pool.
class Carrier : public Strand {
 public:
  bool IsCurrentThread() const;

 private:
  friend class CarrierPool;
  CarrierPool* pool_ = nullptr;
  uv_thread_t thread_{};
  Handoff wake_;
  Handoff ready_;         // posted once the thread has recorded its tid and stack
  bool quit_ = false;     // set by the hub: leave the pool
  bool leaving_ = false;  // set by the carrier: it retired itself and is exiting
  pid_t tid_ = 0;
};

// Owned by one hub thread. Pool state is only touched by the side that holds
// control (the hub, or the one carrier it handed control to); the Handoff's
// release/acquire ordering makes each side's writes visible to the other.
class CarrierPool : public Switcher {
 public:
  // affinity: the hub's, outliving the pool; carriers register with it.
  CarrierPool(ThreadExitHook hook, const Affinity* affinity) : Switcher(hook), affinity_(affinity) {}
  ~CarrierPool() override { Shutdown(); }

  const char* name() const override { return "carrier"; }
  const char* limit_hint() const override {
    return "cannot start a carrier thread for a fiber; the system's limit on threads (ulimit -u, "
           "kernel.pid_max, kernel.threads-max, vm.max_map_count) or memory is reached";
  }
  bool has_threads() const override { return true; }
  void ThreadIds(std::vector<pid_t>* out) const override;
  // Hub side: hand control to the carrier and sleep until it hands it back.
  void SwitchTo(Strand* s) override;
  // Carrier side: hand control to the hub and sleep until resumed.
  void SwitchToHub(Strand* s) override;
  bool IsCurrent(const Strand* s) const override {
    return static_cast<const Carrier*>(s)->IsCurrentThread();
  }

 protected:
  Strand* Create(size_t stack_size, int* err) override;
  void Destroy(Strand* s) override;

 private:
  static void Main(void* arg);

  const Affinity* affinity_;
  Handoff hub_;
  std::vector<Carrier*> all_;  // alive or retired, until joined
};

}  // namespace greenstack
