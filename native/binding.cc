// binding.cc: the JS face of the engine: per-isolate hub state, fiber records, switch callbacks.
//
// Switches are raw V8 callbacks, not Node-API: a switch made while a napi handle
// scope is open trips Node's open_handle_scopes check (see V8-NOTES.md).
#include <node.h>
#include <fcntl.h>
#include <node_buffer.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <v8.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "affinity.h"
#include "carrier.h"
#include "fast_backend.h"
#include "monitor_v8.h"  // observability (issue 13): the blocking watchdog
#include "limits.h"
#include "thread_budget.h"

namespace greenstack {
namespace {

using v8::Context;
using v8::External;
using v8::Function;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Global;
using v8::HandleScope;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::ObjectTemplate;
using v8::String;
using v8::Value;

class Hub;

struct FiberRecord {
  enum State { kNew, kRunning, kSuspended, kDone };
  Hub* hub = nullptr;
  Strand* carrier = nullptr;  // its carrier thread or coroutine stack
  Global<Function> fn;
  Global<Value> transfer;    // the value resume() hands to suspend()
  Global<Value> escaped;     // an exception the JS entry did not catch (should not happen)
  size_t stack_size = 0;
  State state = kNew;
  bool transfer_throws = false;
  bool unwind = false;       // env teardown: terminate this fiber's JS without running it
  bool terminated = false;   // its JS was terminated (worker.terminate, process.exit in a worker)
};

// Everything greenstack keeps for one isolate. Created at module init, freed by
// the environment cleanup hook, so each worker thread has a hub of its own.
class Hub {
 public:
  explicit Hub(Isolate* isolate)
      : isolate_(isolate), switcher_(new CarrierPool(exit_hook(), &affinity_)) {}

  Isolate* isolate() const { return isolate_; }
  // The backend fibers run on.
  Switcher& switcher() { return *switcher_; }
  Affinity& affinity() { return affinity_; }
  ThreadBudget& budget() { return budget_; }
  std::string fast_details;
  // Only while no fiber is alive (see SetBackend). null: carrier threads.
  void UseBackend(Switcher* next) {
    size_t max_idle = switcher_->max_idle();
    switcher_->Shutdown();  // the old backend's idle strands are of no more use
    switcher_.reset(next != nullptr ? next : new CarrierPool(exit_hook(), &affinity_));
    switcher_->set_max_idle(max_idle);
  }
  Switcher::ThreadExitHook exit_hook() { return {&Hub::OnCarrierExit, this}; }
  FiberRecord* current() const { return current_; }

  Global<ObjectTemplate> handle_template;
  Global<Object> error_classes;  // greenstack's error classes by name (registerErrors)
  std::unordered_set<FiberRecord*> records;  // every record not yet freed
  size_t default_stack_size = limits::kDefaultStackSize;
  size_t suspended = 0;
  bool closing = false;
  // binding.gcMs[0]: ms this isolate has spent in GC pauses, so a timed call can leave
  // out a pause that fell inside it (io/cooperative.ts); [1]: how many pauses (the
  // self-check proves a GC ran). A typed array: no call to read.
  std::shared_ptr<v8::BackingStore> gc_ms;
  uint64_t gc_started = 0;

  // Hub side: run f until it suspends or finishes. Called with the isolate locked
  // and entered; returns the same way.
  void SwitchInto(FiberRecord* f) {
    current_ = f;
    f->state = FiberRecord::kRunning;
    {
      v8::Unlocker unlocker(isolate_);
      switcher_->SwitchTo(f->carrier);
    }
    // Re-entering refreshes V8's record of this thread's stack start (cppgc scans
    // it conservatively) and its marking barrier.
    isolate_->Enter();
    isolate_->Exit();
    current_ = nullptr;
  }

  // Carrier side: give control back to the hub until resumed.
  void SwitchOut(FiberRecord* f) {
    isolate_->Exit();
    {
      v8::Unlocker unlocker(isolate_);
      switcher_->SwitchToHub(f->carrier);
    }
    isolate_->Enter();
    isolate_->SetStackLimit(f->carrier->js_limit());
  }

  void FreeRecord(FiberRecord* f) {
    if (f->state == FiberRecord::kNew && f->carrier != nullptr) switcher_->Release(f->carrier);
    records.erase(f);
    delete f;
  }

 private:
  static void OnCarrierExit(void* ctx) {
    static_cast<Hub*>(ctx)->isolate_->DiscardThreadSpecificMetadata();
  }

  Isolate* isolate_;
  Affinity affinity_;      // before switcher_: carriers register with it
  ThreadBudget budget_;
  std::unique_ptr<Switcher> switcher_;
  FiberRecord* current_ = nullptr;
};

Hub* HubOf(const FunctionCallbackInfo<Value>& info) {
  return static_cast<Hub*>(info.Data().As<External>()->Value());
}

Local<String> Str(Isolate* isolate, const char* text) {
  return String::NewFromUtf8(isolate, text).ToLocalChecked();
}

// Throws `new <cls>(...args)` with the class the JS side registered (registerErrors),
// so errors from here are instances of greenstack's own classes. Before that (a bare
// require of the addon) a plain Error with the same code.
void ThrowError(const FunctionCallbackInfo<Value>& info, const char* cls, const char* code,
                std::initializer_list<Local<Value>> args) {
  Isolate* isolate = info.GetIsolate();
  Hub* hub = HubOf(info);
  Local<Context> context = isolate->GetCurrentContext();
  if (!hub->error_classes.IsEmpty()) {
    Local<Value> ctor;
    if (hub->error_classes.Get(isolate)->Get(context, Str(isolate, cls)).ToLocal(&ctor) && ctor->IsFunction()) {
      std::vector<Local<Value>> argv(args);
      Local<Object> error;
      if (ctor.As<Function>()->NewInstance(context, static_cast<int>(argv.size()), argv.data()).ToLocal(&error)) {
        isolate->ThrowException(error);
      }
      return;  // or the constructor threw
    }
  }
  Local<Value> message = args.size() > 0 ? *args.begin() : Str(isolate, cls).As<Value>();
  Local<Value> error = v8::Exception::Error(message->IsString() ? message.As<String>() : Str(isolate, cls));
  error.As<Object>()->Set(context, Str(isolate, "code"), Str(isolate, code)).Check();
  isolate->ThrowException(error);
}

void ThrowSwitchError(const FunctionCallbackInfo<Value>& info, const char* message) {
  ThrowError(info, "InvalidSwitchError", "ERR_GREENSTACK_INVALID_SWITCH", {Str(info.GetIsolate(), message)});
}

void ThrowArgType(const FunctionCallbackInfo<Value>& info, const char* name, const char* expected, Local<Value> actual) {
  Isolate* isolate = info.GetIsolate();
  ThrowError(info, "InvalidArgTypeError", "ERR_INVALID_ARG_TYPE", {Str(isolate, name), Str(isolate, expected), actual});
}

// registerErrors({ InvalidSwitchError, ... }): the classes native errors are made from.
void RegisterErrors(const FunctionCallbackInfo<Value>& info) {
  if (info.Length() < 1 || !info[0]->IsObject()) return ThrowArgType(info, "classes", "of type object", info[0]);
  HubOf(info)->error_classes.Reset(info.GetIsolate(), info[0].As<Object>());
}

FiberRecord* Unwrap(const FunctionCallbackInfo<Value>& info, int index) {
  if (info.Length() <= index || !info[index]->IsObject()) return nullptr;
  Local<Object> obj = info[index].As<Object>();
  if (obj->InternalFieldCount() != 1) return nullptr;
  auto* f = static_cast<FiberRecord*>(obj->GetAlignedPointerFromInternalField(0));
  if (f == nullptr || f->hub != HubOf(info)) return nullptr;
  return f;
}

// A record lives from newFiber() until its fiber finishes or is discarded (or the
// environment ends): then its handle is cut loose, so a stale handle is an error,
// not a dangling pointer. No weak handles: they would cost every GC.
void FreeWithHandle(const FunctionCallbackInfo<Value>& info, FiberRecord* f) {
  info[0].As<Object>()->SetAlignedPointerInInternalField(0, nullptr);
  f->hub->FreeRecord(f);
}

// discard(handle): a fiber that will never start gives its carrier back.
void Discard(const FunctionCallbackInfo<Value>& info) {
  FiberRecord* f = Unwrap(info, 0);
  if (f == nullptr || f->state != FiberRecord::kNew) return;
  FreeWithHandle(info, f);  // gives the carrier back
}

// releaseForeign() -> threads given back their original CPU mask
void ReleaseForeign(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(HubOf(info)->affinity().ReleaseForeign());
}

// Runs on the carrier: the whole life of one fiber.
void RunFiber(void* arg, Strand* carrier) {
  auto* f = static_cast<FiberRecord*>(arg);
  Hub* hub = f->hub;
  Isolate* isolate = hub->isolate();
  {
    v8::Locker locker(isolate);
    isolate->Enter();
    isolate->SetStackLimit(carrier->js_limit());
    {
      HandleScope scope(isolate);
      Local<Function> fn = f->fn.Get(isolate);
      Local<Context> context = fn->GetCreationContextChecked();
      Context::Scope context_scope(context);
      v8::TryCatch try_catch(isolate);
      v8::MaybeLocal<Value> ignored = fn->Call(context, v8::Undefined(isolate), 0, nullptr);
      (void)ignored;
      if (try_catch.HasTerminated()) {
        if (!f->unwind) f->terminated = true;
        isolate->CancelTerminateExecution();
      } else if (try_catch.HasCaught()) {
        f->escaped.Reset(isolate, try_catch.Exception());
      }
    }
    f->fn.Reset();
    f->transfer.Reset();
    f->state = FiberRecord::kDone;
    isolate->Exit();
  }
  // The pool hands control back to the hub once this carrier is idle again.
}

// newFiber(fn, stackSize) -> handle
void NewFiber(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsFunction()) {
    return ThrowArgType(info, "fn", "of type function", info.Length() < 1 ? v8::Undefined(isolate).As<Value>() : info[0]);
  }
  size_t stack_size = hub->default_stack_size;
  if (info.Length() > 1 && info[1]->IsNumber()) {
    double v = info[1].As<v8::Number>()->Value();
    if (v > 0) stack_size = static_cast<size_t>(v);
  }
  if (stack_size < limits::kMinStackSize) stack_size = limits::kMinStackSize;
  if (stack_size > limits::kMaxStackSize) stack_size = limits::kMaxStackSize;
  Switcher& switcher = hub->switcher();
  hub->budget().Start(switcher.has_threads());
  Local<Context> context = isolate->GetCurrentContext();
  Local<Object> obj;
  if (!hub->handle_template.Get(isolate)->NewInstance(context).ToLocal(&obj)) return;
  auto* f = new FiberRecord();
  f->hub = hub;
  f->stack_size = stack_size;
  // The carrier is taken now, so running out of threads is reported by the call
  // that creates the fiber, not later when it starts.
  int rc = switcher.Acquire(stack_size, RunFiber, f, &f->carrier);
  if (rc != 0) {
    delete f;
    // At the limit: what Node starts next (threadpool, inspector) gets the spare
    // threads' slots, and the pool does not grow past what it has now.
    if (switcher.has_threads() && hub->budget().ReleaseSpares()) switcher.set_max_alive(switcher.alive());
    char message[400];
    snprintf(message, sizeof(message), "%s (%s: %s)", switcher.limit_hint(), uv_err_name(rc), uv_strerror(rc));
    return ThrowError(info, "CarrierLimitError", "ERR_GREENSTACK_CARRIER_LIMIT", {Str(isolate, message)});
  }
  f->fn.Reset(isolate, info[0].As<Function>());
  obj->SetAlignedPointerInInternalField(0, f);
  hub->records.insert(f);
  info.GetReturnValue().Set(obj);
}

// resume(handle, value, throws) -> true once the fiber has finished
void Resume(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  FiberRecord* f = Unwrap(info, 0);
  if (f == nullptr) {
    return ThrowArgType(info, "handle", "a fiber handle", info.Length() < 1 ? v8::Undefined(isolate).As<Value>() : info[0]);
  }
  if (hub->current() != nullptr || hub->closing) {
    return ThrowSwitchError(info, "only the hub can resume a fiber");
  }
  if (f->state == FiberRecord::kNew) {
    if (f->carrier == nullptr) {
      return ThrowSwitchError(info, "the fiber was discarded");
    }
  } else if (f->state == FiberRecord::kSuspended) {
    hub->suspended--;
  } else {
    return ThrowSwitchError(info, "the fiber is running or has finished");
  }
  if (info.Length() > 1 && !info[1]->IsUndefined()) f->transfer.Reset(isolate, info[1]);
  f->transfer_throws = info.Length() > 2 && info[2]->BooleanValue(isolate);
  hub->SwitchInto(f);
  if (f->state == FiberRecord::kSuspended) {
    hub->suspended++;
    return info.GetReturnValue().Set(false);
  }
  f->carrier = nullptr;
  bool terminated = f->terminated;
  Local<Value> escaped = f->escaped.IsEmpty() ? Local<Value>() : f->escaped.Get(isolate);
  FreeWithHandle(info, f);
  if (terminated) {
    // Termination is isolate-wide: the hub's JS stops too.
    isolate->TerminateExecution();
    return;
  }
  if (!escaped.IsEmpty()) {
    isolate->ThrowException(escaped);
    return;
  }
  info.GetReturnValue().Set(true);
}

// suspend() -> the value the next resume() passes (or throws it)
void Suspend(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  FiberRecord* f = hub->current();
  if (f == nullptr || !hub->switcher().IsCurrent(f->carrier)) {
    return ThrowError(info, "BlockingInHubError", "ERR_GREENSTACK_BLOCKING_IN_HUB", {Str(isolate, "suspend()")});
  }
  f->state = FiberRecord::kSuspended;
  hub->SwitchOut(f);
  if (f->unwind) {
    // Teardown: unwind the fiber's frames without running its catch/finally code.
    isolate->TerminateExecution();
    return;
  }
  if (f->transfer.IsEmpty()) return;
  Local<Value> value = f->transfer.Get(isolate);
  f->transfer.Reset();
  if (f->transfer_throws) {
    isolate->ThrowException(value);
    return;
  }
  info.GetReturnValue().Set(value);
}

// stats() -> [carriers alive, carriers idle, fibers suspended, fiber records]
void Stats(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  Local<v8::Array> out = v8::Array::New(isolate, 4);
  double values[4] = {static_cast<double>(hub->switcher().alive()),
                      static_cast<double>(hub->switcher().idle()),
                      static_cast<double>(hub->suspended),
                      static_cast<double>(hub->records.size())};
  for (uint32_t i = 0; i < 4; i++) {
    out->Set(context, i, v8::Number::New(isolate, values[i])).Check();
  }
  info.GetReturnValue().Set(out);
}

// configure(defaultStackSize, maxIdleCarriers): lowering maxIdleCarriers frees the surplus at once.
void Configure(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  if (info.Length() > 0 && info[0]->IsNumber()) {
    double v = info[0].As<v8::Number>()->Value();
    if (v >= static_cast<double>(limits::kMinStackSize) && v <= static_cast<double>(limits::kMaxStackSize)) {
      hub->default_stack_size = static_cast<size_t>(v);
    }
  }
  if (info.Length() > 1 && info[1]->IsNumber()) {
    double v = info[1].As<v8::Number>()->Value();
    if (v >= 0) hub->switcher().set_max_idle(v < 1e9 ? static_cast<size_t>(v) : SIZE_MAX);
  }
}

// idleLowWater() -> the fewest idle carriers (or stacks) at once since the last call
void IdleLowWater(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(static_cast<double>(HubOf(info)->switcher().TakeIdleLowWater()));
}

// trimIdle(keep) -> how many idle carriers (or stacks) were freed
void TrimIdle(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  double keep = info.Length() > 0 && info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : 0;
  if (!(keep >= 0)) keep = 0;
  size_t freed = hub->switcher().Trim(keep < 1e9 ? static_cast<size_t>(keep) : SIZE_MAX);
  info.GetReturnValue().Set(static_cast<double>(freed));
}

// pin(on, sibling) -> the CPU pinned to, -1 when off, or -errno. sibling >= 0: this
// process's index among sibling processes (a cluster worker's), so siblings spread.
void Pin(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  bool on = info.Length() > 0 && info[0]->BooleanValue(isolate);
  int sibling = info.Length() > 1 && info[1]->IsInt32() ? info[1].As<v8::Int32>()->Value() : -1;
  Switcher& switcher = hub->switcher();
  // Coroutines share the hub's thread: nothing to hand off between CPUs.
  if (!switcher.has_threads()) on = false;
  int cpu = -1;
  if (on) {
    if (hub->affinity().pinned_cpu() >= 0) return info.GetReturnValue().Set(hub->affinity().pinned_cpu());
    // Threads started now (libuv's threadpool, the spares) keep the process's mask
    // instead of inheriting our pin.
    hub->budget().Start(true);
    cpu = hub->affinity().ChooseCpu(sibling);
    if (cpu < 0) return info.GetReturnValue().Set(-ENOSYS);
  }
  std::vector<pid_t> threads;
  switcher.ThreadIds(&threads);
  int rc = hub->affinity().Pin(cpu, threads);
  info.GetReturnValue().Set(rc != 0 ? rc : hub->affinity().pinned_cpu());
}

void OnGCStart(Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  static_cast<Hub*>(data)->gc_started = uv_hrtime();
}

void OnGCEnd(Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* hub = static_cast<Hub*>(data);
  if (hub->gc_started == 0) return;
  auto* clock = static_cast<double*>(hub->gc_ms->Data());
  clock[0] += static_cast<double>(uv_hrtime() - hub->gc_started) / 1e6;
  clock[1] += 1;
  hub->gc_started = 0;
}

// binding.gcMs: a Float64Array(2) over the hub's GC clock (see Hub::gc_ms).
void SetGcClock(Isolate* isolate, Local<Context> context, Local<Object> target, Hub* hub) {
  hub->gc_ms = v8::ArrayBuffer::NewBackingStore(isolate, 2 * sizeof(double));
  auto* clock = static_cast<double*>(hub->gc_ms->Data());
  clock[0] = clock[1] = 0;
  Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, hub->gc_ms);
  target->Set(context, String::NewFromUtf8Literal(isolate, "gcMs"), v8::Float64Array::New(buffer, 0, 2)).Check();
  isolate->AddGCPrologueCallback(OnGCStart, hub);
  isolate->AddGCEpilogueCallback(OnGCEnd, hub);
}

void Cleanup(void* arg) {
  auto* hub = static_cast<Hub*>(arg);
  Isolate* isolate = hub->isolate();
  isolate->RemoveGCPrologueCallback(OnGCStart, hub);
  isolate->RemoveGCEpilogueCallback(OnGCEnd, hub);
  // Re-locking after a carrier ran (~Unlocker in SwitchInto) restores this thread's
  // V8 state, and Node 24's V8 creates handles doing so (Debug::RestoreDebug). A worker's
  // cleanup hooks run with no HandleScope open: without this one, Node 24 aborts with
  // "Cannot create a handle without a HandleScope" when a worker ends with fibers suspended.
  HandleScope handle_scope(isolate);
  hub->closing = true;
  // Unwind every suspended fiber so its carrier leaves V8 and returns to the pool.
  for (bool again = true; again;) {
    again = false;
    for (FiberRecord* f : hub->records) {
      if (f->state != FiberRecord::kSuspended) continue;
      f->unwind = true;
      hub->suspended--;
      hub->SwitchInto(f);
      again = true;
      break;  // the set may have changed
    }
  }
  if (isolate->IsExecutionTerminating()) isolate->CancelTerminateExecution();
  while (!hub->records.empty()) hub->FreeRecord(*hub->records.begin());
  hub->switcher().Shutdown();
  hub->handle_template.Reset();
  hub->error_classes.Reset();
  delete hub;
}

// setBackend(name, probe?, forceFailure?) -> "" or why the backend cannot be used.
// Only while no fiber is alive; "fast" first proves its TLS layout (fast_backend.h).
void SetBackend(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  String::Utf8Value name(isolate, info[0]);
  std::string which = *name != nullptr ? *name : "";
  if (which != "carrier" && which != "fast") {
    return ThrowError(info, "InvalidArgValueError", "ERR_INVALID_ARG_VALUE",
                      {Str(isolate, "name"), Str(isolate, "must be 'carrier' or 'fast'"), info[0]});
  }
  if (which == hub->switcher().name()) return info.GetReturnValue().Set(String::Empty(isolate));
  if (hub->current() != nullptr || hub->suspended != 0 || hub->closing ||
      hub->switcher().alive() != hub->switcher().idle()) {
    return ThrowError(info, "BackendInUseError", "ERR_GREENSTACK_BACKEND_IN_USE",
                      {Str(isolate, "the backend can only change while no fiber is alive")});
  }
  if (which == "carrier") {
    hub->UseBackend(nullptr);
    return info.GetReturnValue().Set(String::Empty(isolate));
  }
  if (info.Length() < 2 || !info[1]->IsFunction()) {
    return ThrowArgType(info, "probe", "of type function", info.Length() < 2 ? v8::Undefined(isolate).As<Value>() : info[1]);
  }
  bool force = info.Length() > 2 && info[2]->BooleanValue(isolate);
  std::string why;
  FastBackendReport report;
  FastSwitcher* fast =
      StartFastBackend(isolate, info[1].As<Function>(), hub->exit_hook(), force, &why, &report);
  hub->fast_details = report.details;
  if (fast == nullptr) {
    return info.GetReturnValue().Set(String::NewFromUtf8(isolate, why.c_str()).ToLocalChecked());
  }
  hub->UseBackend(fast);
  info.GetReturnValue().Set(String::Empty(isolate));
}

// backendInfo() -> [name, details of the layout the fast backend found]
void BackendInfo(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  Local<v8::Array> out = v8::Array::New(isolate, 2);
  out->Set(context, 0, String::NewFromUtf8(isolate, hub->switcher().name()).ToLocalChecked()).Check();
  out->Set(context, 1, String::NewFromUtf8(isolate, hub->fast_details.c_str()).ToLocalChecked()).Check();
  info.GetReturnValue().Set(out);
}

// fastCheck() -> "" when called in a fiber on the fast backend whose thread image
// is the fiber's own; else what is wrong (the self-check calls it).
void FastCheck(const FunctionCallbackInfo<Value>& info) {
  Hub* hub = HubOf(info);
  Isolate* isolate = info.GetIsolate();
  std::string why = hub->switcher().CheckCurrent(reinterpret_cast<uintptr_t>(isolate));
  info.GetReturnValue().Set(String::NewFromUtf8(isolate, why.c_str()).ToLocalChecked());
}

// collectGarbage(thorough): one full GC that also drops WeakRef targets kept for the
// current job, without --expose-gc (the self-check uses it with fibers suspended).
// Critical memory pressure on the isolate's own thread collects at once, in one
// mark-compact; LowMemoryNotification's rounds (up to seven) cost the CLI's start-up
// 60 ms, so they run only when asked (thorough) or when the pressure was only queued.
void CollectGarbage(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  Hub* hub = HubOf(info);
  isolate->ClearKeptObjects();
  const double pauses = static_cast<double*>(hub->gc_ms->Data())[1];
  if (!info[0]->IsTrue()) {
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
  }
  if (static_cast<double*>(hub->gc_ms->Data())[1] == pauses) isolate->LowMemoryNotification();
}

// keepWasmCode(): V8 aborts ("archived threads in combination with wasm not supported")
// when it collects WebAssembly code while a thread is archived, which is what a
// suspended fiber is. Set here, not by node:v8's setFlagsFromString, whose module (and
// its serdes, profiler and heap bindings) every start would otherwise load.
void KeepWasmCode(const FunctionCallbackInfo<Value>&) {
  v8::V8::SetFlagsFromString("--no-wasm-code-gc");
}

// The path argument of fileType/readFile in UTF-8, as node encodes paths; null, with
// -EINVAL as the result, for anything but a string.
std::unique_ptr<String::Utf8Value> PathArg(const FunctionCallbackInfo<Value>& info) {
  if (info[0]->IsString()) {
    auto path = std::make_unique<String::Utf8Value>(info.GetIsolate(), info[0]);
    if (**path != nullptr) return path;
  }
  info.GetReturnValue().Set(-EINVAL);
  return nullptr;
}

// fileType(path) -> stat()'s S_IFMT bits, or -errno: whether a whole-file call may run
// in place (fs.ts regularTarget), at the cost of the syscall alone. fs.statSync built
// a Stats object and four Dates for it: 1-3 us on every readFileSync and writeFileSync.
void FileType(const FunctionCallbackInfo<Value>& info) {
  std::unique_ptr<String::Utf8Value> path = PathArg(info);
  if (path == nullptr) return;
  struct stat st;
  info.GetReturnValue().Set(stat(**path, &st) == 0 ? static_cast<int>(st.st_mode & S_IFMT) : -errno);
}

// readFile(path) -> the whole regular file as a Buffer, read as node's readFileSync
// reads it (up to the size fstat gave, or to EOF when that is 0); 0 when path is no
// regular file, too large for a Buffer, or would block; -errno when stat, open, fstat
// or read failed. One call for readFileSync in place (fs.ts): node's own syscalls and
// a stat() ahead of them, without fs.statSync's Stats and Dates. The stat() comes
// first so that a FIFO or a device is never opened: opening a FIFO, even briefly,
// would let a writer blocked in its own open() go on and then fail with EPIPE.
// O_NONBLOCK: should the path become a FIFO between the two, the open cannot wait.
void ReadFile(const FunctionCallbackInfo<Value>& info) {
  Isolate* isolate = info.GetIsolate();
  std::unique_ptr<String::Utf8Value> path = PathArg(info);
  if (path == nullptr) return;
  struct stat before;
  if (stat(**path, &before) != 0) {
    info.GetReturnValue().Set(-errno);
    return;
  }
  if (!S_ISREG(before.st_mode)) {
    info.GetReturnValue().Set(0);
    return;
  }
  int fd;
  do fd = open(**path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    info.GetReturnValue().Set(errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno);
    return;
  }
  int result = 0;  // what is returned unless the whole file was read
  bool whole = false;
  char* data = nullptr;
  size_t length = 0;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    result = -errno;
  } else if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= node::Buffer::kMaxLength) {
    const size_t known = static_cast<size_t>(st.st_size);
    size_t capacity = known > 0 ? known : 64 * 1024;
    data = static_cast<char*>(malloc(capacity));
    if (data == nullptr) result = -ENOMEM;
    while (data != nullptr && !whole && result == 0) {
      if (length == capacity) {
        if (known > 0) {  // node reads no further than the size fstat gave
          whole = true;
          break;
        }
        char* grown = capacity * 2 > node::Buffer::kMaxLength ? nullptr : static_cast<char*>(realloc(data, capacity * 2));
        if (grown == nullptr) break;  // 0: node's own function gives its answer
        data = grown;
        capacity *= 2;
      }
      ssize_t n = read(fd, data + length, capacity - length);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) result = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
      if (n < 0) break;
      if (n == 0) whole = true;
      length += static_cast<size_t>(n > 0 ? n : 0);
    }
  }
  close(fd);
  if (!whole) {
    free(data);
    info.GetReturnValue().Set(result);
    return;
  }
  Local<Object> buffer;
  if (length == 0) {
    free(data);
    if (!node::Buffer::New(isolate, static_cast<size_t>(0)).ToLocal(&buffer)) return;
  } else if (!node::Buffer::New(isolate, data, length).ToLocal(&buffer)) {
    return;  // it took data; the exception is pending
  }
  info.GetReturnValue().Set(buffer);
}

void SetMethod(Isolate* isolate, Local<Context> context, Local<Object> target, const char* name,
               v8::FunctionCallback cb, Local<External> data) {
  Local<Function> fn =
      FunctionTemplate::New(isolate, cb, data)->GetFunction(context).ToLocalChecked();
  Local<String> key = String::NewFromUtf8(isolate, name).ToLocalChecked();
  fn->SetName(key);
  target->Set(context, key, fn).Check();
}

// binding.limits: the sizes of limits.h, so the JS side never repeats them.
void SetLimits(Isolate* isolate, Local<Context> context, Local<Object> target) {
  Local<Object> out = Object::New(isolate);
  auto put = [&](const char* name, double value) {
    out->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), v8::Number::New(isolate, value)).Check();
  };
  put("minStackSize", static_cast<double>(limits::kMinStackSize));
  put("maxStackSize", static_cast<double>(limits::kMaxStackSize));
  put("defaultStackSize", static_cast<double>(limits::kDefaultStackSize));
  put("nativeReserve", static_cast<double>(limits::kNativeReserve));
  put("defaultMaxIdle", static_cast<double>(limits::kDefaultMaxIdle));
  put("idleReserve", static_cast<double>(limits::kIdleReserve));
  target->Set(context, String::NewFromUtf8Literal(isolate, "limits"), out).Check();
}

}  // namespace
}  // namespace greenstack

NODE_MODULE_INIT(/* exports, module, context */) {
  using namespace greenstack;
  Isolate* isolate = context->GetIsolate();
  auto* hub = new Hub(isolate);
  Local<ObjectTemplate> tmpl = ObjectTemplate::New(isolate);
  tmpl->SetInternalFieldCount(1);
  hub->handle_template.Reset(isolate, tmpl);
  node::AddEnvironmentCleanupHook(isolate, Cleanup, hub);
  Local<External> data = External::New(isolate, hub);
  SetMethod(isolate, context, exports, "newFiber", NewFiber, data);
  SetMethod(isolate, context, exports, "resume", Resume, data);
  SetMethod(isolate, context, exports, "suspend", Suspend, data);
  SetMethod(isolate, context, exports, "stats", Stats, data);
  SetMethod(isolate, context, exports, "configure", Configure, data);
  SetMethod(isolate, context, exports, "pin", Pin, data);
  SetMethod(isolate, context, exports, "releaseForeign", ReleaseForeign, data);
  SetMethod(isolate, context, exports, "discard", Discard, data);
  SetMethod(isolate, context, exports, "setBackend", SetBackend, data);
  SetMethod(isolate, context, exports, "backendInfo", BackendInfo, data);
  SetMethod(isolate, context, exports, "fastCheck", FastCheck, data);
  SetMethod(isolate, context, exports, "collectGarbage", CollectGarbage, data);
  SetMethod(isolate, context, exports, "keepWasmCode", KeepWasmCode, data);
  SetMethod(isolate, context, exports, "fileType", FileType, data);
  SetMethod(isolate, context, exports, "readFile", ReadFile, data);
  SetMethod(isolate, context, exports, "trimIdle", TrimIdle, data);
  SetMethod(isolate, context, exports, "idleLowWater", IdleLowWater, data);
  SetMethod(isolate, context, exports, "registerErrors", RegisterErrors, data);
  SetLimits(isolate, context, exports);
  SetGcClock(isolate, context, exports, hub);
  // Observability (monitor_v8.cc): independent of the Hub above.
  InitMonitor(isolate, context, exports);
}
