// fast_stack.cc: coroutine stacks (mmap + guard page), their pool, and the switch with its TLS word swap (engine: no JS).
#include "fast_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "fork_stacks.h"
#include "stack_switch.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102  // Linux 6.13+: a guard page without a mapping of its own
#endif

namespace greenstack {

namespace {

// x86 CET user shadow stacks track return addresses per thread; switching stacks
// under them faults. Linux reports them per thread in /proc/self/status.
bool ShadowStackActive() {
#if defined(__linux__) && defined(__x86_64__)
  FILE* f = fopen("/proc/thread-self/status", "r");
  if (f == nullptr) return false;
  char line[256];
  bool active = false;
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (strncmp(line, "x86_Thread_features:", 20) == 0 && strstr(line, "shstk") != nullptr) active = true;
  }
  fclose(f);
  return active;
#else
  return false;
#endif
}

}  // namespace

// Lives at the top of its own stack mapping: no allocation per coroutine, and the
// page it is on is touched by the coroutine's first frames anyway.
class Coroutine : public Strand {
 public:
  Coroutine(FastSwitcher* owner, void* map, size_t map_size, uintptr_t low)
      : owner(owner), map(map), map_size(map_size) {
    stack_low_ = low;
  }

  FastSwitcher* const owner;
  void* const map;
  const size_t map_size;
  uintptr_t high = 0;              // top of the usable stack (V8's "stack start")
  void* sp = nullptr;              // saved stack pointer while not running
  bool ran = false;                // V8 has seen its thread identity
  uint64_t words[kMaxSwapWords];   // its values of the swapped TLS words while not running
#if GREENSTACK_ASAN
  void* asan_fake = nullptr;       // its fake stack while not running (ASan's, not ours)
  uintptr_t from_bottom = 0;       // the stack last switched here from
  size_t from_size = 0;
  void* back_sp = nullptr;         // Destroy's stack, while a dying coroutine frees its fake stack
  bool dying = false;
#endif
};

#if GREENSTACK_ASAN
// As ASan does for large ranges itself: whole shadow pages go back to the kernel
// (they read back as zero: unpoisoned) instead of being written, so the shadow of
// the never-touched bulk of an 8 MiB native reserve costs no memory; only partial
// shadow pages at both ends are written.
void asan::UnpoisonStack(uintptr_t low, uintptr_t high) {
  if (high <= low) return;
  size_t scale = 0, offset = 0;
  __asan_get_shadow_mapping(&scale, &offset);
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t shadow_low = (low >> scale) + offset, shadow_high = (high >> scale) + offset;
  uintptr_t inner_low = (shadow_low + page - 1) & ~(page - 1), inner_high = shadow_high & ~(page - 1);
  if (inner_low < inner_high &&
      madvise(reinterpret_cast<void*>(inner_low), inner_high - inner_low, MADV_DONTNEED) == 0) {
    uintptr_t mid_low = (inner_low - offset) << scale, mid_high = (inner_high - offset) << scale;
    ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(low), mid_low - low);
    ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(mid_high), high - mid_high);
  } else {
    ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(low), high - low);
  }
}
#endif

FastSwitcher* FastSwitcher::Create(ThreadExitHook hook, const TlsModule& module,
                                   const TlsLayout& layout, std::string* why) {
  if (stack_switch::kMissing != nullptr) {
    *why = stack_switch::kMissing;
    return nullptr;
  }
  if (ShadowStackActive()) {
    *why = "the process runs with hardware shadow stacks (CET), which a user-space switch would violate";
    return nullptr;
  }
  uint64_t* block = CurrentThreadBlock(module);
  if (block == nullptr) {
    *why = "cannot locate the hub thread's TLS block";
    return nullptr;
  }
  if (layout.swap.empty() || layout.swap.size() > kMaxSwapWords) {
    *why = "no usable TLS layout";
    return nullptr;
  }
  return new FastSwitcher(hook, block, module, layout);
}

FastSwitcher::FastSwitcher(ThreadExitHook hook, uint64_t* block, const TlsModule& module,
                           const TlsLayout& layout)
    : Switcher(hook), layout_(layout), block_(block), swap_(layout.swap) {
  fresh_.reserve(swap_.size());
  for (size_t i = 0; i < swap_.size(); i++) {
    fresh_.push_back(module.init[swap_[i]]);
    for (uint32_t w : layout.stack_start) {
      if (w == swap_[i]) stack_pos_.push_back(static_cast<uint32_t>(i));
    }
  }
  hub_words_.assign(swap_.size(), 0);
  long page = sysconf(_SC_PAGESIZE);
  if (page > 0) page_ = static_cast<size_t>(page);
  // Probe once whether the kernel has guard pages that cost no mapping.
  void* probe = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  guard_madvise_ = probe != MAP_FAILED && madvise(probe, page_, MADV_GUARD_INSTALL) == 0;
  if (probe != MAP_FAILED) munmap(probe, 2 * page_);
}

FastSwitcher::~FastSwitcher() { Shutdown(); }

uintptr_t FastSwitcher::StackHigh(const Strand* s) { return static_cast<const Coroutine*>(s)->high; }

std::string FastSwitcher::CheckCurrent(uintptr_t isolate) const {
  const Coroutine* c = current_;
  if (c == nullptr) return "not on a coroutine";
  uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (here <= c->stack_low() || here >= c->high) return "the stack pointer is outside the coroutine's stack";
  for (uint32_t pos : stack_pos_) {
    if (block_[swap_[pos]] != c->high) return "V8's cached stack start is not the coroutine's stack top";
  }
  if (block_[layout_.isolate_word] != isolate) return "the coroutine's TLS does not hold the isolate";
  for (size_t i = 0; i < swap_.size(); i++) {
    for (uint32_t w : layout_.identity) {
      if (swap_[i] == w && block_[w] == hub_words_[i]) {
        return "the coroutine has the hub thread's V8 thread identity";
      }
    }
  }
  return "";
}

Strand* FastSwitcher::Create(size_t stack_size, int* err) {
  // The guard page, the native reserve below V8's limit, then the JS stack; only
  // pages the coroutine touches become memory (MAP_NORESERVE).
  size_t usable = (stack_size + limits::kNativeReserve + page_ - 1) & ~(page_ - 1);
  size_t len = usable + page_;
  void* map = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) {
    *err = -errno;
    return nullptr;
  }
  // Left out of child processes (fork_stacks.h) before the guard is installed: a
  // mapping that nothing touched yet merges with its neighbour of the same flags, so
  // stacks share few VMAs (vm.max_map_count); with the guard first, each was its own
  // and 100k fibers exhausted the count (malloc failed, V8 aborted).
  fork_stacks::Exclude(map, len);
  int rc = guard_madvise_ ? madvise(map, page_, MADV_GUARD_INSTALL) : mprotect(map, page_, PROT_NONE);
  if (rc != 0) {
    *err = -errno;
    munmap(map, len);
    return nullptr;
  }
  uintptr_t base = reinterpret_cast<uintptr_t>(map);
  // The kernel may hand out the range of a freed stack or of anything else: no
  // poison from what was there before.
  asan::UnpoisonStack(base, base + len);
  uintptr_t at = (base + len - sizeof(Coroutine)) & ~static_cast<uintptr_t>(63);
  auto* c = new (reinterpret_cast<void*>(at)) Coroutine(this, map, len, base + page_);
  c->high = at;
  for (size_t i = 0; i < swap_.size(); i++) c->words[i] = fresh_[i];
  for (uint32_t pos : stack_pos_) c->words[pos] = static_cast<uint64_t>(c->high);
  c->sp = stack_switch::Prepare(c->stack_low(), c->high, &FastSwitcher::Entry, c);
  return c;
}

void FastSwitcher::Destroy(Strand* s) {
  auto* c = static_cast<Coroutine*>(s);
#if GREENSTACK_ASAN
  if (c->asan_fake != nullptr) {
    // An idle coroutine keeps its fake stack (detect_stack_use_after_return) for
    // its next task. Only the coroutine itself can free it, by leaving for good:
    // switch in once more so it does (Arrived), then come back here.
    c->dying = true;
    void* fake = nullptr;
    asan::StartSwitch(&fake, c->stack_low(), c->high - c->stack_low());
    stack_switch::Switch(&c->back_sp, c->sp);
    asan::FinishSwitch(fake, nullptr, nullptr);
  }
#endif
  if (c->ran) {
    // V8 keeps per-thread data for its identity: drop it while that identity is
    // current (the same thing a carrier does before its thread exits).
    uint64_t saved[kMaxSwapWords];
    for (size_t i = 0; i < swap_.size(); i++) {
      saved[i] = block_[swap_[i]];
      block_[swap_[i]] = c->words[i];
    }
    hook_.fn(hook_.ctx);
    for (size_t i = 0; i < swap_.size(); i++) block_[swap_[i]] = saved[i];
  }
  void* map = c->map;
  size_t len = c->map_size;
  c->~Coroutine();
  // Frames it held keep their redzones' poison in ASan's shadow: clear it, or the
  // next mapping at these addresses would be reported as overflowing them.
  asan::UnpoisonStack(reinterpret_cast<uintptr_t>(map), reinterpret_cast<uintptr_t>(map) + len);
  munmap(map, len);
}

void FastSwitcher::SwitchTo(Strand* s) {
  auto* c = static_cast<Coroutine*>(s);
  current_ = c;
  fork_stacks::running = {c->map, c->map_size};
  for (size_t i = 0; i < swap_.size(); i++) {
    hub_words_[i] = block_[swap_[i]];
    block_[swap_[i]] = c->words[i];
  }
#if GREENSTACK_ASAN
  asan::StartSwitch(&hub_fake_, c->stack_low(), c->high - c->stack_low());
#endif
  stack_switch::Switch(&hub_sp_, c->sp);
#if GREENSTACK_ASAN
  asan::FinishSwitch(hub_fake_, nullptr, nullptr);
#endif
  // SwitchToHub put the hub's words back before switching here.
  current_ = nullptr;
  fork_stacks::running = {};
}

__attribute__((always_inline)) inline void FastSwitcher::Arrived(Coroutine* c) {
#if GREENSTACK_ASAN
  // The fake stack now belongs to the thread again (a dying coroutine frees it).
  void* fake = c->asan_fake;
  c->asan_fake = nullptr;
  asan::FinishSwitch(fake, &c->from_bottom, &c->from_size);
  if (c->dying) {
    asan::StartSwitch(nullptr, c->from_bottom, c->from_size);
    stack_switch::Switch(&c->sp, c->back_sp);
    __builtin_unreachable();  // Destroy unmaps this stack
  }
  // Only the hub switches into a live coroutine (Destroy is the one exception).
  hub_bottom_ = c->from_bottom;
  hub_size_ = c->from_size;
#else
  (void)c;
#endif
}

// Inlined (as Arrived): without ASan, SwitchToHub compiles to what it was before the hooks.
__attribute__((always_inline)) inline void FastSwitcher::Leave(Coroutine* c, bool final) {
  for (size_t i = 0; i < swap_.size(); i++) {
    c->words[i] = block_[swap_[i]];
    block_[swap_[i]] = hub_words_[i];
  }
#if GREENSTACK_ASAN
  asan::StartSwitch(final ? nullptr : &c->asan_fake, hub_bottom_, hub_size_);
#else
  (void)final;
#endif
  stack_switch::Switch(&c->sp, hub_sp_);
  Arrived(c);
}

void FastSwitcher::SwitchToHub(Strand* s) { Leave(static_cast<Coroutine*>(s), false); }

bool FastSwitcher::IsCurrent(const Strand* s) const { return s != nullptr && s == current_; }

// The whole life of a coroutine, on its own stack: one task per acquisition.
// Kept idle, it waits in SwitchToHub until acquired again; retired, it is never
// switched to again and the hub frees it.
void FastSwitcher::Entry(void* arg) {
  auto* c = static_cast<Coroutine*>(arg);
  FastSwitcher* self = c->owner;
  self->Arrived(c);
  for (;;) {
    c->ran = true;
    c->RunTask();
    bool kept = self->Keep(c);
    if (kept && asan::kEnabled) {
      // Back in the pool: nothing below this frame is live any more.
      uintptr_t here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
      asan::UnpoisonStack(c->stack_low(), (here & ~(self->page_ - 1)) - self->page_);
    }
    self->Leave(c, !kept);
  }
}

}  // namespace greenstack
