// tls_image.cc: TLS block discovery through program headers, and the comparison that classifies its words (engine: no JS).
#include "tls_image.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#if defined(__linux__)
#include <link.h>
#endif

#if defined(__GLIBC__)
// Where glibc recorded the top of the main thread's stack (exported by ld.so).
extern "C" void* __libc_stack_end __attribute__((weak));
#endif

namespace greenstack {

namespace {

// Anything larger is not a block we understand (node's is 256-424 bytes).
constexpr size_t kMaxBlockBytes = 64 * 1024;

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

#if defined(__linux__)
struct FindState {
  uintptr_t anchor;
  bool found = false;
  bool has_tls = false;
  std::string path;
  size_t filesz = 0, memsz = 0, align = 0;
  const uint8_t* image = nullptr;
  void* block = nullptr;
};

int FindCallback(dl_phdr_info* info, size_t, void* data) {
  auto* st = static_cast<FindState*>(data);
  bool contains = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (st->anchor >= start && st->anchor < start + ph.p_memsz) contains = true;
  }
  if (!contains) return 0;
  st->found = true;
  st->path = info->dlpi_name != nullptr && info->dlpi_name[0] != '\0' ? info->dlpi_name : "(main program)";
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_TLS) continue;
    st->has_tls = true;
    st->filesz = ph.p_filesz;
    st->memsz = ph.p_memsz;
    st->align = ph.p_align;
    st->image = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
  }
  st->block = info->dlpi_tls_data;
  return 1;
}
#endif

}  // namespace

std::string FindTlsModule(const void* anchor, TlsModule* out) {
#if defined(__linux__)
  FindState st;
  st.anchor = reinterpret_cast<uintptr_t>(anchor);
  dl_iterate_phdr(FindCallback, &st);
  if (!st.found) return "no loaded module contains V8's code";
  if (!st.has_tls) return Format("the module holding V8 (%s) has no PT_TLS segment", st.path.c_str());
  if (st.memsz == 0 || st.memsz > kMaxBlockBytes) {
    return Format("the TLS segment of %s has an unexpected size (%zu bytes)", st.path.c_str(), st.memsz);
  }
  if (st.align < 8 || st.filesz > st.memsz) {
    return Format("the TLS segment of %s is not 8-byte aligned or malformed", st.path.c_str());
  }
  if (st.block == nullptr) {
    return Format("the C library does not report this thread's TLS block of %s", st.path.c_str());
  }
  out->anchor = anchor;
  out->path = st.path;
  out->align = st.align;
  out->words = (st.memsz + 7) / 8;
  out->init.assign(out->words, 0);
  memcpy(out->init.data(), st.image, st.filesz);
  return "";
#else
  (void)anchor;
  (void)out;
  return "TLS discovery is implemented for Linux only";
#endif
}

uint64_t* CurrentThreadBlock(const TlsModule& m) {
#if defined(__linux__)
  FindState st;
  st.anchor = reinterpret_cast<uintptr_t>(m.anchor);
  dl_iterate_phdr(FindCallback, &st);
  if (!st.found || !st.has_tls || (st.memsz + 7) / 8 != m.words) return nullptr;
  // The block is aligned to p_align (>= 8), so it can be read word by word.
  return static_cast<uint64_t*>(st.block);
#else
  (void)m;
  return nullptr;
#endif
}

std::string Snapshot(const TlsModule& m, TlsWords* out) {
  uint64_t* block = CurrentThreadBlock(m);
  if (block == nullptr) return "cannot locate this thread's TLS block";
  out->assign(block, block + m.words);
  return "";
}

uint64_t CurrentOsThreadId() {
#if defined(__linux__)
  return static_cast<uint64_t>(syscall(SYS_gettid));
#else
  return 0;
#endif
}

uintptr_t MainThreadStackEnd() {
#if defined(__GLIBC__)
  if (&__libc_stack_end != nullptr && getpid() == static_cast<pid_t>(syscall(SYS_gettid))) {
    return reinterpret_cast<uintptr_t>(__libc_stack_end);
  }
#endif
  return 0;
}

bool CurrentThreadStack(uintptr_t* low, uintptr_t* high) {
#if defined(__linux__)
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return false;
  void* addr = nullptr;
  size_t size = 0;
  int rc = pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0) return false;
  *low = reinterpret_cast<uintptr_t>(addr);
  *high = *low + size;
  return true;
#else
  (void)low;
  (void)high;
  return false;
#endif
}

std::string TlsLayout::Describe(const TlsModule& m) const {
  std::string s = Format("TLS block of %s: %zu bytes; per coroutine: %zu words (", m.path.c_str(),
                         m.words * 8, swap.size());
  for (size_t i = 0; i < swap.size(); i++) s += Format("%s+0x%x", i ? " " : "", swap[i] * 8);
  s += "); stack start at";
  for (uint32_t w : stack_start) s += Format(" +0x%x", w * 8);
  s += Format("; isolate at +0x%x; thread identity at", isolate_word * 8);
  for (uint32_t w : identity) s += Format(" +0x%x", w * 8);
  if (!os_tid.empty()) {
    s += "; kernel thread id cached at";
    for (uint32_t w : os_tid) s += Format(" +0x%x", w * 8);
  }
  s += Format("; %u words stay the OS thread's", shared);
  return s;
}

// The rule: a word a fresh thread changes by locking and entering the isolate and
// running JS is V8's per-thread state and becomes per coroutine; the rest stays
// shared. Each step below checks a fact the backend relies on; any mismatch means
// this V8/Node does not look the way the backend expects.
std::string Classify(const TlsModule& m, const TlsWords& hub, uintptr_t hub_stack_high,
                     uintptr_t isolate, const ThreadProbe* probes, size_t count, TlsLayout* out) {
  const size_t n = m.words;
  if (count < 2) return "the self-check needs two helper threads";
  if (hub.size() != n) return "hub image has the wrong size";
  for (size_t p = 0; p < count; p++) {
    const ThreadProbe& pr = probes[p];
    if (pr.before.size() != n || pr.inside.size() != n || pr.after.size() != n) {
      return "a helper thread's image has the wrong size";
    }
    for (size_t w = 0; w < n; w++) {
      // A new thread must start from the module's TLS image; else something
      // initialises it that a coroutine would not reproduce.
      if (pr.before[w] != m.init[w]) {
        return Format("a new thread's TLS word +0x%zx is not the initial image's", w * 8);
      }
    }
  }
  TlsLayout layout;
  for (size_t w = 0; w < n; w++) {
    bool per_thread = false;
    for (size_t p = 0; p < count; p++) {
      if (probes[p].inside[w] != m.init[w] || probes[p].after[w] != m.init[w]) per_thread = true;
    }
    if (per_thread) {
      layout.swap.push_back(static_cast<uint32_t>(w));
    } else if (hub[w] != m.init[w]) {
      layout.shared++;
    }
  }
  if (layout.swap.empty()) return "V8 keeps no per-thread state in this TLS block";
  if (layout.swap.size() > kMaxSwapWords) {
    return Format("%zu TLS words change per thread (more than %zu)", layout.swap.size(), kMaxSwapWords);
  }
  // The cached stack start: a word equal to each helper's own stack top while it
  // is inside V8, and still after it left (a cache, not a transient).
  for (uint32_t w : layout.swap) {
    bool all = true;
    for (size_t p = 0; p < count; p++) {
      if (probes[p].inside[w] != probes[p].stack_high || probes[p].after[w] != probes[p].stack_high) {
        all = false;
      }
    }
    if (all) layout.stack_start.push_back(w);
  }
  if (layout.stack_start.empty()) {
    return "V8 does not cache the thread's stack start in TLS; a coroutine's stack could not be "
           "told to the garbage collector";
  }
  if (layout.stack_start.size() > 2) return "several TLS words look like a cached stack start";
  for (uint32_t w : layout.stack_start) {
    // On the process's main thread newer V8s take glibc's __libc_stack_end (a few
    // bytes below the top) instead of asking pthread: either is that thread's own.
    if (hub[w] != hub_stack_high && (MainThreadStackEnd() == 0 || hub[w] != MainThreadStackEnd())) {
      return Format("the hub thread's cached stack start (0x%llx) is not its stack top (0x%llx)",
                    static_cast<unsigned long long>(hub[w]),
                    static_cast<unsigned long long>(hub_stack_high));
    }
  }
  // The current isolate: held in a per-thread word by every thread inside it.
  bool isolate_found = false;
  for (uint32_t w : layout.swap) {
    bool all = hub[w] == isolate;
    for (size_t p = 0; p < count; p++) all = all && probes[p].inside[w] == isolate;
    if (all && !isolate_found) {
      layout.isolate_word = w;
      isolate_found = true;
    }
  }
  if (!isolate_found) return "no per-thread TLS word holds the current isolate";
  // A cached kernel thread id (newer V8s) differs between threads too, but a
  // coroutine recomputes the same one as the hub: it is not V8's thread identity.
  for (uint32_t w : layout.swap) {
    bool all = true;
    for (size_t p = 0; p < count; p++) all = all && probes[p].inside[w] == probes[p].os_tid;
    if (all) layout.os_tid.push_back(w);
  }
  // Thread identity: words that differ between the two helpers and the hub
  // (V8's thread id among them). Without any, V8 would not tell coroutines apart.
  for (uint32_t w : layout.swap) {
    if (std::find(layout.stack_start.begin(), layout.stack_start.end(), w) != layout.stack_start.end() ||
        std::find(layout.os_tid.begin(), layout.os_tid.end(), w) != layout.os_tid.end()) {
      continue;
    }
    uint64_t a = probes[0].inside[w], b = probes[1].inside[w];
    if (a != b && a != m.init[w] && b != m.init[w] && a != hub[w] && b != hub[w]) {
      layout.identity.push_back(w);
    }
  }
  if (layout.identity.empty()) return "no TLS word tells V8's threads apart";
  *out = layout;
  return "";
}

}  // namespace greenstack
