// affinity.h: the CPU pin of a hub thread and its carriers, which CPU sibling processes take, and the fork hook that unpins children (engine: no JS).
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <vector>

namespace greenstack {

// One per hub. Handoffs between threads on one CPU cost ~5 us instead of ~50
// (V8-NOTES.md), so the carrier backend pins the hub and its carriers together.
class Affinity {
 public:
  ~Affinity();

  // The CPU to pin to. sibling >= 0 (a cluster worker's index) spreads sibling
  // processes over the CPUs this process may use, in order, so two workers never
  // share one while another is free; otherwise the CPU the caller runs on now.
  int ChooseCpu(int sibling);
  // Pins the calling (hub) thread and `threads` to cpu; cpu < 0 restores the mask
  // the hub had before the first pin. Returns 0 or -errno.
  int Pin(int cpu, const std::vector<pid_t>& threads);
  int pinned_cpu() const { return pinned_cpu_; }
  // Gives the original mask back to threads that are not greenstack's but
  // inherited our pin (a Worker's thread created by the hub). Returns how many.
  int ReleaseForeign() const;

  // On a carrier thread as it starts and ends: marks it as ours, and makes a
  // fork() from it give the child the original mask.
  void EnterThread() const;
  static void LeaveThread();

 private:
  int SaveMask();
  void RestoreOriginalMask() const;  // in a forked child (async-signal-safe)
  static void RestoreInChild();

  int pinned_cpu_ = -1;
#if defined(__linux__)
  bool saved_mask_valid_ = false;
  cpu_set_t saved_mask_{};
#endif
};

}  // namespace greenstack
