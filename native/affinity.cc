// affinity.cc: CPU pinning of hub and carriers, the choice of CPU among sibling processes, and the fork hook (engine: no JS).
#include "affinity.h"

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <unordered_set>

#if defined(__linux__)
#include <sys/syscall.h>
#endif

namespace greenstack {

namespace {

#if defined(__linux__)
pid_t CurrentTid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// The Affinity whose hub or carrier this thread is. A fork() from a pinned thread
// (child_process, from the hub or from a fiber) gives the child the hub's
// original mask, so programs we start do not inherit our pin.
thread_local const Affinity* thread_affinity = nullptr;

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
#endif

}  // namespace

void Affinity::RestoreInChild() {
#if defined(__linux__)
  if (thread_affinity != nullptr) thread_affinity->RestoreOriginalMask();
#endif
}

void Affinity::EnterThread() const {
#if defined(__linux__)
  thread_affinity = this;
  Register(CurrentTid());
#endif
}

void Affinity::LeaveThread() {
#if defined(__linux__)
  thread_affinity = nullptr;
  Unregister(CurrentTid());
#endif
}

Affinity::~Affinity() {
#if defined(__linux__)
  // Called on the hub thread when its environment ends.
  if (thread_affinity == this) LeaveThread();
#endif
}

void Affinity::RestoreOriginalMask() const {
#if defined(__linux__)
  if (pinned_cpu_ >= 0 && saved_mask_valid_) sched_setaffinity(0, sizeof(saved_mask_), &saved_mask_);
#endif
}

int Affinity::SaveMask() {
#if defined(__linux__)
  if (saved_mask_valid_) return 0;
  if (sched_getaffinity(0, sizeof(saved_mask_), &saved_mask_) != 0) return -errno;
  saved_mask_valid_ = true;
  EnterThread();
  pthread_once(&atfork_once, [] { pthread_atfork(nullptr, nullptr, &Affinity::RestoreInChild); });
  return 0;
#else
  return -ENOSYS;
#endif
}

int Affinity::ChooseCpu(int sibling) {
#if defined(__linux__)
  if (SaveMask() != 0) return -1;
  int allowed = CPU_COUNT(&saved_mask_);
  if (sibling >= 0 && allowed > 0) {
    // The sibling-th allowed CPU, wrapping: workers 0..n-1 of a cluster take
    // distinct CPUs, and with more workers than CPUs each CPU gets its share.
    int want = sibling % allowed;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
      if (!CPU_ISSET(cpu, &saved_mask_)) continue;
      if (want-- == 0) return cpu;
    }
  }
  int cpu = sched_getcpu();
  if (cpu < 0 || !CPU_ISSET(cpu, &saved_mask_)) {
    for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &saved_mask_); cpu++) {
    }
  }
  return cpu < CPU_SETSIZE ? cpu : -1;
#else
  (void)sibling;
  return -1;
#endif
}

int Affinity::Pin(int cpu, const std::vector<pid_t>& threads) {
#if defined(__linux__)
  if (!saved_mask_valid_) {
    if (cpu < 0) return 0;
    int rc = SaveMask();
    if (rc != 0) return rc;
  }
  if (cpu >= 0 && (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &saved_mask_))) return -EINVAL;
  cpu_set_t set;
  if (cpu >= 0) {
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
  } else {
    set = saved_mask_;
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return -errno;
  pinned_cpu_ = cpu;
  // Carriers created later inherit the mask from the thread that creates them.
  for (pid_t tid : threads) sched_setaffinity(tid, sizeof(set), &set);
  return 0;
#else
  (void)cpu;
  (void)threads;
  return -ENOSYS;
#endif
}

int Affinity::ReleaseForeign() const {
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

}  // namespace greenstack
