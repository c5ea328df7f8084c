// limits.h: the sizes and counts the engine, the binding and (through binding.limits) the JS side share, defined once (engine: no JS).
#pragma once

#include <cstddef>

namespace greenstack {
namespace limits {

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

// The JS stack a fiber may ask for (configure({ stackSize }), spawn options).
constexpr size_t kMinStackSize = 128 * kKiB;
constexpr size_t kMaxStackSize = 1024 * kMiB;
constexpr size_t kDefaultStackSize = 1 * kMiB;

// Native stack below V8's JS stack limit. V8's regexp compiler and parts of its
// runtime recurse there without stack checks; the main thread has ~7 MiB of it, and
// a fiber gets the same. It is address space only: pages are touched lazily, so an
// idle fiber costs no more memory (covered by test/core.regexp.test.ts).
constexpr size_t kNativeReserve = 8 * kMiB;

// Idle strands kept for reuse after a burst, and the reserve kept once the pool has
// been idle for a while (the JS side trims to it; see runtime.ts).
constexpr size_t kDefaultMaxIdle = 1024;
constexpr size_t kIdleReserve = 32;

// Threads held back from the carrier pool, released once creating a carrier fails,
// so that what Node starts later (libuv's threadpool, the inspector) still gets threads.
constexpr int kSpareThreads = 4;

}  // namespace limits
}  // namespace greenstack
