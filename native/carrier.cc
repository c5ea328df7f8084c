// carrier.cc: carrier threads, their pool, and CPU pinning of hub and carriers (engine: no JS).
#include "carrier.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace greenstack {

namespace {

pid_t CurrentTid() {
#if defined(__linux__)
  return static_cast<pid_t>(syscall(SYS_gettid));
#else
  return 0;
#endif
}

#if defined(__linux__)
// The mask each hub thread had before it was first pinned. A fork() from a pinned
// hub (child_process) restores it in the child, so programs we spawn do not
// inherit our pin. thread_local: each worker thread is a hub of its own.
thread_local bool saved_mask_valid = false;
thread_local cpu_set_t saved_mask;

void RestoreMaskInChild() {
  if (saved_mask_valid) sched_setaffinity(0, sizeof(saved_mask), &saved_mask);
}

pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
void InstallAtFork() { pthread_atfork(nullptr, nullptr, RestoreMaskInChild); }
#endif

}  // namespace

bool Carrier::IsCurrentThread() const {
  uv_thread_t self = uv_thread_self();
  return uv_thread_equal(&self, &thread_) != 0;
}

void CarrierPool::Main(void* arg) {
  Carrier* c = static_cast<Carrier*>(arg);
  CarrierPool* pool = c->pool_;
  c->tid_ = CurrentTid();
#if defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    c->stack_low_ = reinterpret_cast<uintptr_t>(addr);
    pthread_attr_destroy(&attr);
  }
#endif
  // Started: tid and stack bounds are known. Not hub_: the creator may be a fiber
  // (spawn inside a fiber) while the hub thread itself waits on hub_.
  c->ready_.Post();
  for (;;) {
    c->wake_.Wait();
    if (c->quit_) break;
    c->task_(c->arg_, c);
    if (!pool->Finished(c)) return;  // retired; the hub joins it
  }
  pool->hook_.fn(pool->hook_.ctx);
}

bool CarrierPool::Finished(Carrier* c) {
  c->task_ = nullptr;
  c->arg_ = nullptr;
  if (idle_.size() < max_idle_) {
    idle_.push_back(c);
    hub_.Post();
    return true;
  }
  all_.erase(std::find(all_.begin(), all_.end(), c));
  retired_.push_back(c);
  hook_.fn(hook_.ctx);
  hub_.Post();  // after this the pool belongs to the hub again: touch nothing
  return false;
}

void CarrierPool::JoinRetired() {
  for (Carrier* c : retired_) {
    uv_thread_join(&c->thread_);
    delete c;
  }
  retired_.clear();
}

int CarrierPool::Acquire(size_t stack_size, Carrier::Task task, void* arg, Carrier** out) {
  JoinRetired();
  Carrier* c = nullptr;
  for (size_t i = idle_.size(); i-- > 0;) {
    if (idle_[i]->stack_size_ == stack_size) {
      c = idle_[i];
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  if (c == nullptr) {
    c = new Carrier();
    c->pool_ = this;
    c->stack_size_ = stack_size;
    uv_thread_options_t opts;
    opts.flags = UV_THREAD_HAS_STACK_SIZE;
    opts.stack_size = stack_size;
    int rc = uv_thread_create_ex(&c->thread_, &opts, Main, c);
    if (rc != 0) {
      delete c;
      return rc;
    }
    c->ready_.Wait();
    all_.push_back(c);
  }
  c->task_ = task;
  c->arg_ = arg;
  *out = c;
  return 0;
}

void CarrierPool::Release(Carrier* c) {
  c->task_ = nullptr;
  c->arg_ = nullptr;
  if (idle_.size() < max_idle_) {
    idle_.push_back(c);
    return;
  }
  c->quit_ = true;
  c->wake_.Post();
  uv_thread_join(&c->thread_);
  all_.erase(std::find(all_.begin(), all_.end(), c));
  delete c;
}

void CarrierPool::SwitchTo(Carrier* c) {
  c->wake_.Post();
  hub_.Wait();
}

void CarrierPool::SwitchToHub(Carrier* c) {
  hub_.Post();
  c->wake_.Wait();
}

void CarrierPool::Shutdown() {
  JoinRetired();
  for (Carrier* c : idle_) {
    c->quit_ = true;
    c->wake_.Post();
  }
  for (Carrier* c : idle_) {
    uv_thread_join(&c->thread_);
    all_.erase(std::find(all_.begin(), all_.end(), c));
    delete c;
  }
  idle_.clear();
}

int CarrierPool::SetHubPinned(bool pinned) {
  if (pinned_cpu_ < 0) return 0;
  return ApplyAffinity(0, pinned);
}

int CarrierPool::ApplyAffinity(pid_t tid, bool pinned) const {
#if defined(__linux__)
  cpu_set_t set;
  if (pinned && pinned_cpu_ >= 0) {
    CPU_ZERO(&set);
    CPU_SET(pinned_cpu_, &set);
  } else {
    set = saved_mask;
  }
  return sched_setaffinity(tid, sizeof(set), &set) == 0 ? 0 : -errno;
#else
  (void)tid;
  (void)pinned;
  return -ENOSYS;
#endif
}

int CarrierPool::Pin(int cpu) {
#if defined(__linux__)
  if (!saved_mask_valid) {
    if (cpu < 0) return 0;
    if (sched_getaffinity(0, sizeof(saved_mask), &saved_mask) != 0) return -errno;
    saved_mask_valid = true;
    pthread_once(&atfork_once, InstallAtFork);
  }
  if (cpu >= 0 && !CPU_ISSET(cpu, &saved_mask)) return -EINVAL;
  pinned_cpu_ = cpu;
  int rc = ApplyAffinity(0, true);
  if (rc != 0) {
    pinned_cpu_ = -1;
    return rc;
  }
  for (Carrier* c : all_) ApplyAffinity(c->tid_, true);
  return 0;
#else
  (void)cpu;
  return -ENOSYS;
#endif
}

}  // namespace greenstack
