// stack_switch.h: picks the one user-space stack switch for this platform, or says there is none (engine: no JS).
//
// Each platform's switch lives in its own file and provides, in namespace
// greenstack::stack_switch:
//   void Switch(void** save_sp, void* load_sp);  // save the caller's context, resume load_sp's
//   void* Prepare(uintptr_t low, uintptr_t high, void (*entry)(void*), void* arg);
//       // a fresh stack [low, high) whose first Switch() calls entry(arg); entry never returns
// This is the only place that chooses. A platform without a switch still builds:
// kMissing says why, the fast backend refuses to start, and carriers are used.
#pragma once

#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__) && defined(__linux__)
#include "stack_switch_x64_sysv.h"
namespace greenstack {
namespace stack_switch {
constexpr const char* kMissing = nullptr;
}  // namespace stack_switch
}  // namespace greenstack
#else
namespace greenstack {
namespace stack_switch {
constexpr const char* kMissing =
    "no user-space stack switch for this platform (greenstack has one for x86-64 Linux only)";
// Never reached: FastSwitcher::Create() fails on kMissing before any stack exists.
[[noreturn]] inline void Switch(void**, void*) { abort(); }
inline void* Prepare(uintptr_t, uintptr_t, void (*)(void*), void*) { abort(); }
}  // namespace stack_switch
}  // namespace greenstack
#endif
