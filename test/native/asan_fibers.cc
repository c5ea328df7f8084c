// asan_fibers.cc: the fast backend's coroutines (native/fast_stack.cc) without V8, under ASan: what the fiber switch annotations must get right. Built and run by scripts/asan.sh.
//
// 1. A suspended coroutine's frame survives another coroutine's C++ throw. A throw
//    runs __asan_handle_no_return on the thrower's stack; if ASan did not know that
//    stack (no annotations), it would warn "ASan is ignoring requested
//    __asan_handle_no_return" and free every fake frame below it, live frames of
//    suspended coroutines included: reused, they are then reported as
//    stack-use-after-return (a false positive) when their owner resumes.
// 2. Coroutines kept idle, retired (max idle 0) and trimmed, stacks unmapped and
//    mapped again many times: no report from poison a freed stack left behind.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fast_stack.h"  // -I native

namespace gs = greenstack;

// Stands in for V8's per-thread words: the switcher swaps word 0 of this module's TLS block.
thread_local volatile uint64_t tls_words[4] = {1, 2, 3, 4};

namespace {

gs::FastSwitcher* sw = nullptr;
constexpr size_t kStack = 256 * 1024;

void NoHook(void*) {}

__attribute__((noinline)) int Sum(volatile char* p, size_t n) {
  int s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  return s;
}

// Same frame shape as Holder's, so it takes Holder's fake-frame slot once freed.
__attribute__((noinline)) int Churn(int i) {
  volatile char buf[64];
  memset(const_cast<char*>(buf), i & 0x7f, sizeof(buf));
  return Sum(buf, sizeof(buf));
}

__attribute__((noinline)) void Thrower() { throw std::string("a C++ exception on a coroutine stack"); }

// Keeps a local array live across a suspension.
void Holder(void* arg, gs::Strand* self) {
  volatile char buf[64];
  memset(const_cast<char*>(buf), 1, sizeof(buf));
  Sum(buf, sizeof(buf));
  sw->SwitchToHub(self);
  *static_cast<int*>(arg) = Sum(buf, sizeof(buf));
}

// Throws and catches, then makes enough frames to wrap the fake stack around.
void ThrowAndChurn(void* arg, gs::Strand* self) {
  try {
    Thrower();
  } catch (const std::string&) {
  }
  int s = 0;
  for (int i = 0; i < 200000; i++) s += Churn(i);
  *static_cast<int*>(arg) = s;
}

void Nested(void* arg, gs::Strand* self) {
  volatile char buf[200];
  memset(const_cast<char*>(buf), 2, sizeof(buf));
  for (int i = 0; i < 3; i++) {
    sw->SwitchToHub(self);
    Churn(i);
  }
  *static_cast<int*>(arg) += Sum(buf, sizeof(buf));
}

gs::Strand* Start(gs::Strand::Task task, void* arg) {
  gs::Strand* s = nullptr;
  if (sw->Acquire(kStack, task, arg, &s) != 0) {
    fprintf(stderr, "asan_fibers: cannot map a stack\n");
    exit(2);
  }
  return s;
}

}  // namespace

int main() {
  gs::TlsModule module;
  std::string why = gs::FindTlsModule(reinterpret_cast<const void*>(&main), &module);
  gs::TlsLayout layout;
  layout.swap = {0};
  if (why.empty()) sw = gs::FastSwitcher::Create({&NoHook, nullptr}, module, layout, &why);
  if (sw == nullptr) {
    fprintf(stderr, "asan_fibers: no fast switcher: %s\n", why.c_str());
    return 2;
  }

  // 1. The thrower must run above the holder (mmap hands out addresses downwards):
  //    only frames below the current one are freed by that no-return.
  int held = 0, churned = 0;
  gs::Strand* a = Start(&ThrowAndChurn, &churned);
  gs::Strand* b = Start(&Holder, &held);
  gs::Strand* thrower = a->stack_low() > b->stack_low() ? a : b;
  gs::Strand* holder = thrower == a ? b : a;
  if (thrower != a) {  // stacks came out the other way: swap the tasks' roles
    sw->Release(a);
    sw->Release(b);
    thrower = Start(&ThrowAndChurn, &churned);
    holder = Start(&Holder, &held);
    if (thrower->stack_low() < holder->stack_low()) std::swap(thrower, holder);
  }
  sw->SwitchTo(holder);   // suspends with its array live
  sw->SwitchTo(thrower);  // throws, then churns
  sw->SwitchTo(holder);   // reads its array again
  if (held != 64) {
    fprintf(stderr, "asan_fibers: the suspended frame changed (%d)\n", held);
    return 1;
  }

  // 2. Idle, retired, trimmed and remapped stacks.
  int total = 0;
  for (int round = 0; round < 50; round++) {
    sw->set_max_idle(round % 3 == 0 ? 0 : 4);
    gs::Strand* fibers[8];
    for (auto& f : fibers) f = Start(&Nested, &total);
    for (int step = 0; step < 4; step++) {
      for (auto* f : fibers) sw->SwitchTo(f);
    }
    if (round % 5 == 4) sw->Trim(0);
  }
  if (total != 50 * 8 * 400) {
    fprintf(stderr, "asan_fibers: wrong total %d\n", total);
    return 1;
  }
  delete sw;
  printf("asan_fibers: ok\n");
  return 0;
}
