// switcher.h: the one interface the hub switches fibers through: carrier threads or user-space stacks (engine: no JS).
#pragma once

#include <cstddef>
#include <cstdint>

namespace greenstack {

// Where one fiber runs: a carrier thread (CarrierPool) or a coroutine stack on
// the hub's own thread (FastSwitcher). Only its stack bounds are shared knowledge.
class Strand {
 public:
  uintptr_t stack_low() const { return stack_low_; }
  size_t stack_size() const { return stack_size_; }

 protected:
  uintptr_t stack_low_ = 0;   // lowest usable address (above any guard page)
  size_t stack_size_ = 0;     // the size the fiber asked for
};

// A backend. The hub calls Acquire/Release/SwitchTo/Shutdown; the fiber's task
// calls SwitchToHub. Exactly one side runs at a time.
class Switcher {
 public:
  using Task = void (*)(void* arg, Strand* self);
  // Called where the strand's thread identity is current, when it leaves for good.
  struct ThreadExitHook {
    void (*fn)(void* ctx);
    void* ctx;
  };

  virtual ~Switcher() = default;
  virtual const char* name() const = 0;
  // Hub side: an idle strand with this stack size, or a new one, set to run
  // task(arg). Returns 0 or a negative libuv-style error (UV_EAGAIN, UV_ENOMEM).
  virtual int Acquire(size_t stack_size, Task task, void* arg, Strand** out) = 0;
  // Hub side (or a GC callback anywhere): give back a strand whose task never ran.
  virtual void Release(Strand* s) = 0;
  // Hub side: run s until it hands control back.
  virtual void SwitchTo(Strand* s) = 0;
  // Strand side: hand control to the hub until resumed.
  virtual void SwitchToHub(Strand* s) = 0;
  // Hub side: free every idle strand. Only idle strands may remain.
  virtual void Shutdown() = 0;
  virtual bool IsCurrent(const Strand* s) const = 0;
  virtual void set_max_idle(size_t n) = 0;
  virtual size_t alive() const = 0;
  virtual size_t idle() const = 0;
};

}  // namespace greenstack
