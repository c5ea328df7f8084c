// carrier.cc: carrier threads, their pool, and CPU pinning of hub and carriers (engine: no JS).
#include "carrier.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <unordered_set>

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
// The pool whose hub or carrier this thread is. A fork() from a pinned thread
// (child_process, from the hub or from a fiber) gives the child the hub's
// original mask, so programs we start do not inherit our pin.
thread_local const CarrierPool* thread_pool = nullptr;

void RestoreMaskInChild() {
  if (thread_pool != nullptr) thread_pool->RestoreOriginalMask();
}

pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

// Every hub and carrier thread of every greenstack hub in the process (worker
// threads have hubs too), so ReleaseForeign() can tell our threads from others.
// Process-wide by nature; leaked on purpose, as threads may exit during teardown.
std::mutex& RegistryMutex() {
  static auto* m = new std::mutex();
  return *m;
}
std::unordered_set<pid_t>& Registry() {
  static auto* s = new std::unordered_set<pid_t>();
  return *s;
}
void Register(pid_t tid) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry().insert(tid);
}
void Unregister(pid_t tid) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry().erase(tid);
}
bool Registered(pid_t tid) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  return Registry().count(tid) != 0;
}
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
  thread_pool = pool;
  Register(c->tid_);
#endif
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
    if (!pool->Finished(c)) break;  // retired; the hub joins it
  }
  if (c->quit_) pool->hook_.fn(pool->hook_.ctx);
#if defined(__linux__)
  Unregister(CurrentTid());
#endif
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

int CarrierPool::Acquire(size_t stack_size, Task task, void* arg, Strand** out) {
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

void CarrierPool::Release(Strand* s) {
  Carrier* c = static_cast<Carrier*>(s);
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

void CarrierPool::SwitchTo(Strand* s) {
  static_cast<Carrier*>(s)->wake_.Post();
  hub_.Wait();
}

void CarrierPool::SwitchToHub(Strand* s) {
  hub_.Post();
  static_cast<Carrier*>(s)->wake_.Wait();
}

void CarrierPool::RestoreOriginalMask() const {
#if defined(__linux__)
  if (pinned_cpu_ >= 0 && saved_mask_valid_) sched_setaffinity(0, sizeof(saved_mask_), &saved_mask_);
#endif
}

CarrierPool::~CarrierPool() {
  Shutdown();
#if defined(__linux__)
  if (thread_pool == this) {
    thread_pool = nullptr;
    Unregister(CurrentTid());
  }
#endif
}

int CarrierPool::ReleaseForeign() const {
#if defined(__linux__)
  if (pinned_cpu_ < 0) return 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -errno;
  int released = 0;
  while (dirent* entry = readdir(dir)) {
    pid_t tid = static_cast<pid_t>(strtol(entry->d_name, nullptr, 10));
    if (tid <= 0 || Registered(tid)) continue;
    cpu_set_t set;
    if (sched_getaffinity(tid, sizeof(set), &set) != 0) continue;  // exited meanwhile
    if (CPU_COUNT(&set) == 1 && CPU_ISSET(pinned_cpu_, &set) &&
        sched_setaffinity(tid, sizeof(saved_mask_), &saved_mask_) == 0) {
      released++;
    }
  }
  closedir(dir);
  return released;
#else
  return 0;
#endif
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

int CarrierPool::ApplyAffinity(pid_t tid, bool pinned) const {
#if defined(__linux__)
  cpu_set_t set;
  if (pinned && pinned_cpu_ >= 0) {
    CPU_ZERO(&set);
    CPU_SET(pinned_cpu_, &set);
  } else {
    set = saved_mask_;
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
  if (!saved_mask_valid_) {
    if (cpu < 0) return 0;
    if (sched_getaffinity(0, sizeof(saved_mask_), &saved_mask_) != 0) return -errno;
    saved_mask_valid_ = true;
    thread_pool = this;
    Register(CurrentTid());
    pthread_once(&atfork_once, InstallAtFork);
  }
  if (cpu >= 0 && !CPU_ISSET(cpu, &saved_mask_)) return -EINVAL;
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
