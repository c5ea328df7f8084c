// tls_image.h: finds the TLS block of the module that holds V8 and learns which of its words are per thread (engine: no JS).
//
// Nothing here reads a symbol table: the module is the one whose mapped segments
// contain a given code address (dl_iterate_phdr), its block is its PT_TLS segment
// as the calling thread sees it (dlpi_tls_data), and which words matter is learned
// by comparing images taken on real threads (see Classify).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace greenstack {

using TlsWords = std::vector<uint64_t>;

// A coroutine copies its swapped words on every switch; more than this would mean
// the block was misread.
constexpr size_t kMaxSwapWords = 64;

struct TlsModule {
  const void* anchor = nullptr;  // a code address inside the module
  std::string path;              // for messages only
  size_t words = 0;              // block size in 8-byte words
  size_t align = 0;
  TlsWords init;                 // what every new thread starts with: .tdata, then zeros
};

// Finds the module whose mapped segments contain `anchor`. "" or why not.
std::string FindTlsModule(const void* anchor, TlsModule* out);

// The calling thread's copy of that module's block, or null.
uint64_t* CurrentThreadBlock(const TlsModule& m);

// Copies the calling thread's block into *out ("" or why not).
std::string Snapshot(const TlsModule& m, TlsWords* out);

// Bounds of the calling thread's stack as pthread_getattr_np reports them (what V8
// itself asks). False if unknown.
bool CurrentThreadStack(uintptr_t* low, uintptr_t* high);

// On the process's main thread: glibc's record of its stack top (__libc_stack_end),
// which newer V8s cache instead of pthread's figure; else 0.
uintptr_t MainThreadStackEnd();

// Images of one helper thread: at its start, while it holds and has entered the
// isolate (after running JS), and after it left.
struct ThreadProbe {
  TlsWords before, inside, after;
  uintptr_t stack_high = 0;
  uint64_t os_tid = 0;  // the kernel's id of the helper thread
};

// The kernel's id of the calling thread.
uint64_t CurrentOsThreadId();

// What a coroutine must have of its own. Words outside `swap` stay the OS
// thread's: state that thread initialised for itself (a thread_local object with
// a destructor, registered once per OS thread), and transient flags.
struct TlsLayout {
  std::vector<uint32_t> swap;         // word indices, ascending
  std::vector<uint32_t> stack_start;  // indices (also in swap) caching the thread's stack top
  std::vector<uint32_t> identity;     // indices (in swap) that differ from thread to thread
  std::vector<uint32_t> os_tid;       // indices (in swap) caching the kernel's thread id
  uint32_t isolate_word = 0;          // index (in swap) holding the current isolate
  uint32_t shared = 0;                // words the hub's thread set that stay shared
  std::string Describe(const TlsModule& m) const;
};

// Learns the layout. hub: the hub thread's image now; isolate: the isolate's
// address (V8 keeps it in a per-thread word while a thread has entered it).
// "" on success, else why the layout cannot be trusted.
std::string Classify(const TlsModule& m, const TlsWords& hub, uintptr_t hub_stack_high,
                     uintptr_t isolate, const ThreadProbe* probes, size_t count, TlsLayout* out);

}  // namespace greenstack
