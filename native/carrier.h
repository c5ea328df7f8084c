// carrier.h: the pool of OS threads that host fibers, and the hub <-> carrier handoff (engine: no JS).
#pragma once

#include <sched.h>
#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "handoff.h"
#include "switcher.h"

namespace greenstack {

class CarrierPool;

// One OS thread with its own native stack. It runs one fiber at a time; between
// fibers it sleeps in the pool.
class Carrier : public Strand {
 public:
  using Task = Switcher::Task;

  bool IsCurrentThread() const;

 private:
  friend class CarrierPool;
  CarrierPool* pool_ = nullptr;
  uv_thread_t thread_{};
  Handoff wake_;
  Handoff ready_;  // posted once the thread has recorded its tid and stack
  Task task_ = nullptr;
  void* arg_ = nullptr;
  bool quit_ = false;
  pid_t tid_ = 0;
};

// Owned by one hub thread. Pool state is only touched by the side that holds
// control (the hub, or the one carrier it handed control to); the Handoff's
// release/acquire ordering makes each side's writes visible to the other.
class CarrierPool : public Switcher {
 public:
  explicit CarrierPool(ThreadExitHook hook) : hook_(hook) {}
  ~CarrierPool() override;
  CarrierPool(const CarrierPool&) = delete;
  CarrierPool& operator=(const CarrierPool&) = delete;

  // Hub side: an idle carrier with this stack size, or a new thread. Returns 0 or
  // a negative libuv error (UV_EAGAIN/UV_ENOMEM when the system has no more).
  int Acquire(size_t stack_size, Task task, void* arg, Strand** out) override;
  // Hub side: give back a carrier whose task never ran.
  void Release(Strand* s) override;
  // Hub side: hand control to c and sleep until it hands it back.
  void SwitchTo(Strand* s) override;
  // Carrier side: hand control to the hub and sleep until resumed.
  void SwitchToHub(Strand* s) override;
  // Hub side: stop and join every carrier. Only idle carriers may remain.
  void Shutdown() override;

  const char* name() const override { return "carrier"; }
  bool IsCurrent(const Strand* s) const override {
    return static_cast<const Carrier*>(s)->IsCurrentThread();
  }
  void set_max_idle(size_t n) override { max_idle_ = n; }
  size_t max_idle() const { return max_idle_; }
  size_t alive() const override { return all_.size(); }
  size_t idle() const override { return idle_.size(); }

  // Affinity of the hub thread (the caller) and of every carrier. cpu < 0
  // restores the mask the hub had before the first pin. Returns 0 or -errno.
  int Pin(int cpu);
  int pinned_cpu() const { return pinned_cpu_; }
  // Gives the original mask back to threads that are not greenstack's but
  // inherited our pin (a Worker's thread created by the hub). Returns how many.
  int ReleaseForeign() const;
  // In a forked child: the hub's mask from before the pin (async-signal-safe).
  void RestoreOriginalMask() const;

 private:
  static void Main(void* arg);
  bool Finished(Carrier* c);  // carrier side; false: the carrier retires
  void JoinRetired();
  int ApplyAffinity(pid_t tid, bool pinned) const;

  Handoff hub_;
  std::vector<Carrier*> all_;
  std::vector<Carrier*> idle_;  // LIFO: the stack touched last is the warmest
  std::vector<Carrier*> retired_;
  size_t max_idle_ = 1024;
  ThreadExitHook hook_;
  int pinned_cpu_ = -1;
#if defined(__linux__)
  bool saved_mask_valid_ = false;
  cpu_set_t saved_mask_{};
#endif
};

}  // namespace greenstack
