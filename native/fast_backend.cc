// fast_backend.cc: the fast backend's discovery: helper threads run JS under V8's lock and their TLS images are compared (V8 side).
#include "fast_backend.h"

#include <uv.h>

#include <chrono>

namespace greenstack {

namespace {

// A helper thread has the stack a default fiber has.
constexpr size_t kProbeStackSize = limits::kDefaultStackSize + limits::kNativeReserve;

struct ProbeJob {
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Function>* fn = nullptr;
  const TlsModule* module = nullptr;
  ThreadProbe out;
  std::string error;
};

// A helper thread: exactly what a carrier does for a fiber, with TLS snapshots
// before, inside and after.
void ProbeThread(void* arg) {
  auto* job = static_cast<ProbeJob*>(arg);
  v8::Isolate* isolate = job->isolate;
  job->error = Snapshot(*job->module, &job->out.before);
  uintptr_t low = 0, high = 0;
  if (job->error.empty() && !CurrentThreadStack(&low, &high)) job->error = "cannot read a helper thread's stack bounds";
  if (!job->error.empty()) return;
  job->out.stack_high = high;
  job->out.os_tid = CurrentOsThreadId();
  {
    v8::Locker locker(isolate);
    isolate->Enter();
    isolate->SetStackLimit(low + limits::kNativeReserve);
    {
      v8::HandleScope scope(isolate);
      v8::Local<v8::Function> fn = job->fn->Get(isolate);
      v8::Local<v8::Context> context = fn->GetCreationContextChecked();
      v8::Context::Scope context_scope(context);
      v8::TryCatch try_catch(isolate);
      v8::Local<v8::Value> result;
      if (!fn->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&result) || !result->IsTrue()) {
        job->error = "the probe function failed on a helper thread";
      }
      if (try_catch.HasTerminated()) isolate->CancelTerminateExecution();
    }
    std::string e = Snapshot(*job->module, &job->out.inside);
    if (job->error.empty()) job->error = e;
    isolate->Exit();
  }
  std::string e = Snapshot(*job->module, &job->out.after);
  if (job->error.empty()) job->error = e;
  isolate->DiscardThreadSpecificMetadata();
}

}  // namespace

FastSwitcher* StartFastBackend(v8::Isolate* isolate, v8::Local<v8::Function> probe,
                               Switcher::ThreadExitHook hook, bool force_failure,
                               std::string* why, FastBackendReport* report) {
  auto started = std::chrono::steady_clock::now();
  TlsModule module;
  // Any function V8 defines locates the module (executable or libnode.so) that
  // holds V8's thread_locals.
  *why = FindTlsModule(reinterpret_cast<const void*>(&v8::Isolate::GetCurrent), &module);
  if (!why->empty()) return nullptr;
  report->details = "TLS block of " + module.path + ": " + std::to_string(module.words * 8) + " bytes";
  TlsWords hub_image;
  *why = Snapshot(module, &hub_image);
  if (!why->empty()) return nullptr;
  uintptr_t hub_low = 0, hub_high = 0;
  if (!CurrentThreadStack(&hub_low, &hub_high)) {
    *why = "cannot read the hub thread's stack bounds";
    return nullptr;
  }
  v8::Global<v8::Function> fn(isolate, probe);
  ProbeJob jobs[2];
  {
    v8::Unlocker unlocker(isolate);
    for (ProbeJob& job : jobs) {
      job.isolate = isolate;
      job.fn = &fn;
      job.module = &module;
      uv_thread_t thread;
      uv_thread_options_t opts;
      opts.flags = UV_THREAD_HAS_STACK_SIZE;
      opts.stack_size = kProbeStackSize;
      if (uv_thread_create_ex(&thread, &opts, ProbeThread, &job) != 0) {
        job.error = "cannot start a helper thread";
        break;
      }
      uv_thread_join(&thread);
      if (!job.error.empty()) break;
    }
  }
  // As after any re-lock: refresh V8's record of this thread's stack start.
  isolate->Enter();
  isolate->Exit();
  fn.Reset();
  for (ProbeJob& job : jobs) {
    if (!job.error.empty()) {
      *why = job.error;
      return nullptr;
    }
  }
  ThreadProbe probes[2] = {jobs[0].out, jobs[1].out};
  TlsLayout layout;
  *why = Classify(module, hub_image, hub_high, reinterpret_cast<uintptr_t>(isolate), probes, 2, &layout);
  if (!why->empty()) return nullptr;
  report->details = layout.Describe(module);
  if (force_failure) {
    *why = "self-check failure forced by GREENSTACK_TEST_FAST_FAIL (tests only)";
    return nullptr;
  }
  FastSwitcher* s = FastSwitcher::Create(hook, module, layout, why);
  if (s != nullptr) report->details += std::string("; guard pages by ") + s->guard_method();
  report->probe_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return s;
}

}  // namespace greenstack
