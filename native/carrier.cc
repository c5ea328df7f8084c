// carrier.cc: carrier threads and their handoff with the hub (engine: no JS).
#include "carrier.h"

#include <pthread.h>

#include <algorithm>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace greenstack {

bool Carrier::IsCurrentThread() const {
  uv_thread_t self = uv_thread_self();
  return uv_thread_equal(&self, &thread_) != 0;
}

void CarrierPool::Main(void* arg) {
  Carrier* c = static_cast<Carrier*>(arg);
  CarrierPool* pool = c->pool_;
  pool->affinity_->EnterThread();
#if defined(__linux__)
  c->tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    c->stack_low_ = reinterpret_cast<uintptr_t>(addr);
    pthread_attr_destroy(&attr);
  }
#endif
  // Started: tid and stack bounds are known. Not hub_: the creator may be a fiber
  // (spawn inside a fiber) while the hub thread itself waits on hub_.
  c->ready_.Post();
  for (;;) {
    c->wake_.Wait();
    if (c->quit_) break;
    c->RunTask();
    if (!pool->Keep(c)) {
      // Retired: leave V8, then give control back; after the Post the pool
      // belongs to the hub again, which joins this thread: touch nothing.
      c->leaving_ = true;
      pool->hook_.fn(pool->hook_.ctx);
      Affinity::LeaveThread();
      pool->hub_.Post();
      return;
    }
    pool->hub_.Post();
  }
  pool->hook_.fn(pool->hook_.ctx);
  Affinity::LeaveThread();
}

Strand* CarrierPool::Create(size_t stack_size, int* err) {
  auto* c = new Carrier();
  c->pool_ = this;
  uv_thread_options_t opts;
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = stack_size + limits::kNativeReserve;
  int rc = uv_thread_create_ex(&c->thread_, &opts, Main, c);
  if (rc != 0) {
    delete c;
    *err = rc;
    return nullptr;
  }
  c->ready_.Wait();
  all_.push_back(c);
  return c;
}

void CarrierPool::Destroy(Strand* s) {
  Carrier* c = static_cast<Carrier*>(s);
  if (!c->leaving_) {
    c->quit_ = true;
    c->wake_.Post();
  }
  uv_thread_join(&c->thread_);
  all_.erase(std::find(all_.begin(), all_.end(), c));
  delete c;
}

void CarrierPool::ThreadIds(std::vector<pid_t>* out) const {
  for (const Carrier* c : all_) {
    if (!c->leaving_) out->push_back(c->tid_);
  }
}

void CarrierPool::SwitchTo(Strand* s) {
  static_cast<Carrier*>(s)->wake_.Post();
  hub_.Wait();
}

void CarrierPool::SwitchToHub(Strand* s) {
  hub_.Post();
  static_cast<Carrier*>(s)->wake_.Wait();
}

}  // namespace greenstack
