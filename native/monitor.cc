// monitor.cc: the blocking watchdog thread (engine: no JS).
#include "monitor.h"

#include <algorithm>
#include <chrono>

namespace greenstack {

int Monitor::SetThresholdMs(uint64_t ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  threshold_ms_.store(ms, std::memory_order_relaxed);
  if (ms != 0 && !started_ && !stopping_) {
    int rc = uv_thread_create(&thread_, Main, this);
    if (rc != 0) {
      threshold_ms_.store(0, std::memory_order_relaxed);
      return rc;
    }
    started_ = true;
  }
  wake_.notify_all();
  return 0;
}

uint64_t Monitor::BlockedMs() const {
  if (incident_.load(std::memory_order_relaxed) == 0) return 0;
  return (uv_hrtime() - last_change_ns_.load(std::memory_order_relaxed)) / 1000000;
}

bool Monitor::Ongoing(uint64_t incident) const {
  return incident != 0 && incident_.load(std::memory_order_relaxed) == incident;
}

void Monitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_all();
  }
  if (started_) uv_thread_join(&thread_);
}

void Monitor::Main(void* arg) { static_cast<Monitor*>(arg)->Run(); }

// Progress of the loop: its idle time grows while it sleeps in poll, and its iteration
// count while it turns. A saturated loop (a busy server) never sleeps but still turns:
// only when neither moves is it blocked.
static uint64_t Progress(uv_loop_t* loop) {
  uv_metrics_t metrics;
  uint64_t turns = uv_metrics_info(loop, &metrics) == 0 ? metrics.loop_count : 0;
  return uv_metrics_idle_time(loop) + turns;
}

void Monitor::Run() {
  uint64_t last_idle = Progress(loop_);
  last_change_ns_.store(uv_hrtime(), std::memory_order_relaxed);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    uint64_t ms = threshold_ms_.load(std::memory_order_relaxed);
    if (ms == 0) {
      incident_.store(0, std::memory_order_relaxed);
      wake_.wait(lock);
      last_idle = Progress(loop_);
      last_change_ns_.store(uv_hrtime(), std::memory_order_relaxed);
      continue;
    }
    // Sample a few times per threshold, so an incident is seen within ~1.25x of it.
    uint64_t period = std::clamp<uint64_t>(ms / 4, 1, 250);
    wake_.wait_for(lock, std::chrono::milliseconds(period));
    if (stopping_) break;
    uint64_t idle = Progress(loop_);
    uint64_t now = uv_hrtime();
    if (idle != last_idle) {
      last_idle = idle;
      last_change_ns_.store(now, std::memory_order_relaxed);
      incident_.store(0, std::memory_order_relaxed);
      continue;
    }
    if (now - last_change_ns_.load(std::memory_order_relaxed) < ms * 1000000) continue;
    uint64_t incident = incident_.load(std::memory_order_relaxed);
    if (incident == 0) {
      incident = next_incident_++;
      incident_.store(incident, std::memory_order_relaxed);
    }
    // Asked again each period until the loop's thread has printed it: a request can be
    // lost while no thread holds the isolate (between a switch's unlock and lock).
    if (reported_.load(std::memory_order_relaxed) != incident) blocked_(data_, incident);
  }
}

}  // namespace greenstack
