// handoff.h: the one-slot wake-up token two OS threads pass control with (engine: no JS).
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <uv.h>
#endif

namespace greenstack {

// A binary semaphore with exactly one waiting thread (its owner). Post() before
// Wait() is remembered, so a wake-up can never be lost between two threads.
// States: 0 empty, 1 posted, 2 empty and the owner is asleep in the kernel.
class Handoff {
 public:
#if defined(__linux__)
  void Post() {
    if (state_.exchange(1, std::memory_order_release) == 2) {
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1,
              nullptr, nullptr, 0);
    }
  }

  void Wait() {
    for (;;) {
      uint32_t s = state_.load(std::memory_order_acquire);
      if (s == 1) {
        if (state_.compare_exchange_weak(s, 0, std::memory_order_acquire)) return;
        continue;
      }
      if (s == 0 && !state_.compare_exchange_weak(s, 2, std::memory_order_relaxed)) {
        continue;
      }
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, 2,
              nullptr, nullptr, 0);
    }
  }

 private:
  std::atomic<uint32_t> state_{0};
#else
  Handoff() { uv_sem_init(&sem_, 0); }
  ~Handoff() { uv_sem_destroy(&sem_); }
  void Post() { uv_sem_post(&sem_); }
  void Wait() { uv_sem_wait(&sem_); }

 private:
  uv_sem_t sem_;
#endif
};

}  // namespace greenstack
