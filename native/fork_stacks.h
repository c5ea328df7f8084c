// fork_stacks.h: fiber stacks stay out of child processes (MADV_DONTFORK), except the stack fork() runs on (engine: no JS).
//
// fork() copies every mapping of the parent, and its time grows with them: with
// 1,000 idle fast fibers a spawn took 10.9 ms against 2.8 with none. A child only
// runs on the forking thread's current stack until it execs, so the others are left
// out; the current one is put back for the fork by an atfork handler. Per OS thread,
// so hubs of worker threads need no lock. The fast backend's stacks only: a carrier's
// thread stack also holds glibc's thread descriptor, which the child touches.
#pragma once

#include <cstddef>

namespace greenstack::fork_stacks {

struct Range {
  void* base = nullptr;
  size_t len = 0;
};

// What the calling OS thread runs on now, if it is one of ours.
inline thread_local Range running;

// Leaves [base, base + len) out of child processes (best effort: a kernel without
// MADV_DONTFORK forks it as before). Registers the atfork handlers once.
void Exclude(void* base, size_t len);

}  // namespace greenstack::fork_stacks
