// fork_stacks.cc: MADV_DONTFORK on fiber stacks and the atfork handlers that keep the forking one (engine: no JS).
#include "fork_stacks.h"

#include <pthread.h>
#include <sys/mman.h>

namespace greenstack::fork_stacks {

namespace {

pthread_once_t once = PTHREAD_ONCE_INIT;

void BeforeFork() {
  if (running.base != nullptr) madvise(running.base, running.len, MADV_DOFORK);
}

void AfterForkInParent() {
  if (running.base != nullptr) madvise(running.base, running.len, MADV_DONTFORK);
}

}  // namespace

void Exclude(void* base, size_t len) {
  pthread_once(&once, [] { pthread_atfork(&BeforeFork, &AfterForkInParent, nullptr); });
  madvise(base, len, MADV_DONTFORK);
}

}  // namespace greenstack::fork_stacks
