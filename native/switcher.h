// switcher.h: the one interface the hub switches fibers through, and the idle-strand bookkeeping both backends share (engine: no JS).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "limits.h"

namespace greenstack {

class Switcher;

// Where one fiber runs: a carrier thread (CarrierPool) or a coroutine stack on
// the hub's own thread (FastSwitcher). Its stack is [stack_low, stack_low +
// kNativeReserve + stack_size): the native reserve below V8's limit, then the JS stack.
class Strand {
 public:
  using Task = void (*)(void* arg, Strand* self);

  uintptr_t stack_low() const { return stack_low_; }
  size_t stack_size() const { return stack_size_; }
  // V8's stack limit for JS on this strand (Isolate::SetStackLimit).
  uintptr_t js_limit() const { return stack_low_ + limits::kNativeReserve; }
  // Runs the task Acquire set (backend side, on the strand).
  void RunTask() { task_(arg_, this); }

 protected:
  friend class Switcher;
  uintptr_t stack_low_ = 0;   // lowest usable address (above any guard page)
  size_t stack_size_ = 0;     // the JS stack the fiber asked for
  Task task_ = nullptr;       // what it runs next, set by Acquire
  void* arg_ = nullptr;
};

// A backend. The hub calls Acquire/Release/SwitchTo/Trim; the fiber's task calls
// SwitchToHub. Exactly one side runs at a time, so the bookkeeping needs no lock.
class Switcher {
 public:
  using Task = Strand::Task;
  // Called where the strand's thread identity is current, when it leaves for good.
  struct ThreadExitHook {
    void (*fn)(void* ctx);
    void* ctx;
  };

  explicit Switcher(ThreadExitHook hook) : hook_(hook) {}
  virtual ~Switcher() = default;
  Switcher(const Switcher&) = delete;
  Switcher& operator=(const Switcher&) = delete;

  virtual const char* name() const = 0;
  // What ran out when Acquire fails, for the CarrierLimitError message.
  virtual const char* limit_hint() const = 0;
  // Whether strands are OS threads (the CPU pin applies to them).
  virtual bool has_threads() const = 0;
  // Their OS thread ids (for the CPU pin).
  virtual void ThreadIds(std::vector<pid_t>* out) const {}
  // The fast backend's self-check on a running coroutine: "" or what is wrong.
  virtual std::string CheckCurrent(uintptr_t isolate) const { return "the fast backend is not active"; }

  // Hub side: run s until it hands control back.
  virtual void SwitchTo(Strand* s) = 0;
  // Strand side: hand control to the hub until resumed.
  virtual void SwitchToHub(Strand* s) = 0;
  virtual bool IsCurrent(const Strand* s) const = 0;

  // Hub side: an idle strand with this stack size, or a new one, set to run
  // task(arg). Returns 0 or a negative libuv-style error (UV_EAGAIN, UV_ENOMEM).
  int Acquire(size_t stack_size, Task task, void* arg, Strand** out);
  // Hub side (or a GC callback anywhere): give back a strand whose task never ran.
  // Only bookkeeping: a strand beyond max_idle is freed at the hub's next Acquire/Trim.
  void Release(Strand* s) { Keep(s); }
  // Hub side: free idle strands beyond keep (the least recently used first) and
  // retired ones. Returns how many idle strands were freed.
  size_t Trim(size_t keep);
  // Hub side: free every idle strand. Only idle strands may remain.
  void Shutdown() { Trim(0); }

  // Lowering it frees the surplus at once (hub side).
  void set_max_idle(size_t n) {
    max_idle_ = n;
    Trim(n);
  }
  size_t max_idle() const { return max_idle_; }
  // No new strand while this many are alive (the thread limit was reached).
  void set_max_alive(size_t n) { max_alive_ = n; }
  size_t alive() const { return alive_ - retired_.size(); }
  size_t idle() const { return idle_.size(); }
  // The fewest strands that were idle at once since the last call: that many went
  // unused all along (the JS side trims them after a quiet period).
  size_t TakeIdleLowWater() {
    size_t low = idle_low_ < idle_.size() ? idle_low_ : idle_.size();
    idle_low_ = idle_.size();
    return low;
  }

 protected:
  // A new strand of this JS stack size, or null with *err set.
  virtual Strand* Create(size_t stack_size, int* err) = 0;
  // Hub side: free a strand that is idle or retired.
  virtual void Destroy(Strand* s) = 0;
  // Either side, after s's task returned or never ran: true if kept idle, false if
  // retired (never switched to again; the hub frees it).
  bool Keep(Strand* s);
  void Reap();

  ThreadExitHook hook_;

 private:
  std::vector<Strand*> idle_;     // LIFO: the stack touched last is the warmest
  std::vector<Strand*> retired_;  // beyond max_idle_, freed on the hub
  size_t alive_ = 0;
  size_t max_idle_ = limits::kDefaultMaxIdle;
  size_t max_alive_ = SIZE_MAX;
  size_t idle_low_ = 0;
};

inline bool Switcher::Keep(Strand* s) {
  s->task_ = nullptr;
  s->arg_ = nullptr;
  if (idle_.size() < max_idle_) {
    idle_.push_back(s);
    return true;
  }
  retired_.push_back(s);
  return false;
}

inline void Switcher::Reap() {
  while (!retired_.empty()) {
    Strand* s = retired_.back();
    retired_.pop_back();
    Destroy(s);
    alive_--;
  }
}

inline int Switcher::Acquire(size_t stack_size, Task task, void* arg, Strand** out) {
  Reap();
  Strand* s = nullptr;
  for (size_t i = idle_.size(); i-- > 0;) {
    if (idle_[i]->stack_size_ == stack_size) {
      s = idle_[i];
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
      if (idle_.size() < idle_low_) idle_low_ = idle_.size();
      break;
    }
  }
  if (s == nullptr) {
    if (alive() >= max_alive_) return -EAGAIN;
    int err = 0;
    s = Create(stack_size, &err);
    if (s == nullptr) return err;
    s->stack_size_ = stack_size;
    alive_++;
  }
  s->task_ = task;
  s->arg_ = arg;
  *out = s;
  return 0;
}

inline size_t Switcher::Trim(size_t keep) {
  Reap();
  if (idle_.size() <= keep) return 0;
  size_t surplus = idle_.size() - keep;
  // The front of the LIFO list was used least recently.
  std::vector<Strand*> doomed(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(surplus));
  idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(surplus));
  for (Strand* s : doomed) {
    Destroy(s);
    alive_--;
  }
  return surplus;
}

}  // namespace greenstack
