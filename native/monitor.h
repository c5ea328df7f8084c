// monitor.h: the blocking watchdog thread, which notices a loop that has neither polled nor slept for too long (engine: no JS).
// It samples the event loop's idle time and calls back once per incident.
#pragma once

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace greenstack {

// One per event loop. A loop that sleeps in poll accumulates idle time (libuv's
// UV_METRICS_IDLE_TIME, which Node turns on for the main thread and workers), and one
// that keeps running JS does not: unchanged idle time for longer than the threshold
// is a blocked loop. uv_metrics_idle_time() takes libuv's own lock, so reading it
// from this thread is safe.
class Monitor {
 public:
  // Called on the watchdog thread, repeatedly while one incident lasts and nobody
  // has called Reported(incident) yet; must only request work from the loop's thread.
  using Blocked = void (*)(void* data, uint64_t incident);

  Monitor(uv_loop_t* loop, Blocked blocked, void* data) : loop_(loop), blocked_(blocked), data_(data) {}
  ~Monitor() { Stop(); }
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // 0 turns the watchdog off (its thread stays parked); the thread starts on first use.
  // Returns 0 or a libuv error code.
  int SetThresholdMs(uint64_t ms);
  uint64_t threshold_ms() const { return threshold_ms_.load(std::memory_order_relaxed); }

  // Milliseconds the current incident has lasted (0 when the loop is not blocked).
  uint64_t BlockedMs() const;
  // The loop's thread printed incident: stop calling back until the next one.
  void Reported(uint64_t incident) { reported_.store(incident, std::memory_order_relaxed); }
  // True while `incident` is the one going on (the loop has not polled since).
  bool Ongoing(uint64_t incident) const;

  // Joins the thread. Safe to call twice.
  void Stop();

 private:
  static void Main(void* arg);
  void Run();

  uv_loop_t* const loop_;
  const Blocked blocked_;
  void* const data_;
  std::mutex mutex_;
  std::condition_variable wake_;
  uv_thread_t thread_{};
  bool started_ = false;
  bool stopping_ = false;
  std::atomic<uint64_t> threshold_ms_{0};
  // Progress as the watchdog last saw it, and when it last changed (uv_hrtime ns).
  std::atomic<uint64_t> last_change_ns_{0};
  std::atomic<uint64_t> incident_{0};   // the incident going on, 0 when none
  std::atomic<uint64_t> reported_{0};   // the last incident the loop's thread printed
  uint64_t next_incident_ = 1;
};

}  // namespace greenstack
