// asan.h: AddressSanitizer hooks for the fast backend's stack switches; empty unless built with -fsanitize=address (engine: no JS).
//
// ASan keeps one stack range and one fake stack (detect_stack_use_after_return)
// per thread. A user-space switch moves the thread to another stack without its
// knowledge, so every switch is announced (StartSwitch before, FinishSwitch on the
// new stack right after): else it treats coroutine frames as foreign, frees live
// fake frames of suspended coroutines and reports them as use-after-return.
// scripts/asan.sh builds and runs the addon this way.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define GREENSTACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GREENSTACK_ASAN 1
#endif
#endif
#ifndef GREENSTACK_ASAN
#define GREENSTACK_ASAN 0
#endif

#if GREENSTACK_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace greenstack {
namespace asan {

constexpr bool kEnabled = GREENSTACK_ASAN != 0;

// Before a switch to the stack [bottom, bottom + size). fake_save: where the
// leaving side's fake stack is kept until it is switched to again, or null when it
// never will be (ASan frees that fake stack).
inline void StartSwitch(void** fake_save, uintptr_t bottom, size_t size) {
#if GREENSTACK_ASAN
  __sanitizer_start_switch_fiber(fake_save, reinterpret_cast<const void*>(bottom), size);
#else
  (void)fake_save, (void)bottom, (void)size;
#endif
}

// First thing on the new stack: restores its fake stack (null for a fresh one) and
// tells the bounds of the stack just left (either pointer may be null).
inline void FinishSwitch(void* fake, uintptr_t* old_bottom, size_t* old_size) {
#if GREENSTACK_ASAN
  const void* bottom = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(fake, &bottom, &size);
  if (old_bottom != nullptr) *old_bottom = reinterpret_cast<uintptr_t>(bottom);
  if (old_size != nullptr) *old_size = size;
#else
  (void)fake, (void)old_bottom, (void)old_size;
#endif
}

// Clears ASan's poison over [low, high) (page-aligned), so redzones of frames a
// stack held do not outlive it on memory mapped there later. Nothing otherwise.
#if GREENSTACK_ASAN
void UnpoisonStack(uintptr_t low, uintptr_t high);
#else
inline void UnpoisonStack(uintptr_t, uintptr_t) {}
#endif

}  // namespace asan
}  // namespace greenstack
