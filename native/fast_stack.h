// fast_stack.h: the fast backend: fibers on mmap'd stacks switched in user space on the hub's own thread (engine: no JS).
//
// Each coroutine keeps its own values of the TLS words V8 keeps per thread
// (TlsLayout::swap), loaded into the hub thread's block while it runs, so V8 sees
// one thread per coroutine and v8::Locker/Unlocker archive each as a thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "asan.h"
#include "switcher.h"
#include "tls_image.h"

namespace greenstack {

class Coroutine;

class FastSwitcher : public Switcher {
 public:
  // Null and *why set when this platform or process cannot have one. block: the
  // calling (hub) thread's TLS block, which coroutines share with it.
  static FastSwitcher* Create(ThreadExitHook hook, const TlsModule& module, const TlsLayout& layout,
                              std::string* why);
  ~FastSwitcher() override;
  FastSwitcher(const FastSwitcher&) = delete;
  FastSwitcher& operator=(const FastSwitcher&) = delete;

  const char* name() const override { return "fast"; }
  const char* limit_hint() const override {
    return "cannot map a stack for a fiber; memory or vm.max_map_count is exhausted";
  }
  bool has_threads() const override { return false; }
  void SwitchTo(Strand* s) override;
  void SwitchToHub(Strand* s) override;
  bool IsCurrent(const Strand* s) const override;

  // How stacks get their guard page: "madvise" (MADV_GUARD_INSTALL: no extra
  // mapping) or "mprotect" (one more mapping per stack, so vm.max_map_count / 2 stacks at most).
  const char* guard_method() const { return guard_madvise_ ? "madvise" : "mprotect"; }
  // The stack top a coroutine reports to V8 (its cached stack start), for the self-check.
  static uintptr_t StackHigh(const Strand* s);
  // Self-check, called on a running coroutine: "" when the hub thread's TLS block
  // now holds this coroutine's identity (its stack top as V8's cached stack start,
  // the isolate, thread identity words unlike the hub's) and the stack pointer is
  // inside its stack; else what is wrong.
  std::string CheckCurrent(uintptr_t isolate) const override;

 protected:
  Strand* Create(size_t stack_size, int* err) override;
  void Destroy(Strand* s) override;

 private:
  FastSwitcher(ThreadExitHook hook, uint64_t* block, const TlsModule& module, const TlsLayout& layout);
  static void Entry(void* arg);
  // Coroutine side: hand control to the hub; `final`: c is never switched to again.
  void Leave(Coroutine* c, bool final);
  // Coroutine side, first thing after any switch into c (see asan.h).
  void Arrived(Coroutine* c);

  TlsLayout layout_;
  uint64_t* block_;                  // the hub thread's TLS block
  std::vector<uint32_t> swap_;       // word indices swapped per coroutine
  std::vector<uint64_t> fresh_;      // a new coroutine's values (its stack start set per coroutine)
  std::vector<uint32_t> stack_pos_;  // positions in swap_ of the cached stack start
  std::vector<uint64_t> hub_words_;  // the hub's values while a coroutine runs
  void* hub_sp_ = nullptr;
  Coroutine* current_ = nullptr;
  size_t page_ = 4096;
  bool guard_madvise_ = true;
#if GREENSTACK_ASAN
  void* hub_fake_ = nullptr;   // the hub's fake stack while a coroutine runs
  uintptr_t hub_bottom_ = 0;   // the hub's stack as ASan knows it, learned on the
  size_t hub_size_ = 0;        // first switch into a coroutine
#endif
};

}  // namespace greenstack
