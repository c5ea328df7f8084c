// monitor_v8.cc: the blocking watchdog's JS face (V8 side): an isolate interrupt captures the running JS stack and prints one report.
// monitor.cc decides when the loop is blocked.
#include "monitor_v8.h"

#include <node.h>
#include <uv.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <utility>

#include "monitor.h"

namespace greenstack {
namespace {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Global;
using v8::HandleScope;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::StackFrame;
using v8::StackTrace;
using v8::String;
using v8::Value;

constexpr int kMaxFrames = 24;

struct MonitorState {
  Isolate* isolate = nullptr;
  Monitor* monitor = nullptr;
  Global<Context> context;
  Global<Object> hub;                    // the JS Hub: its `current` names the fiber
  std::atomic<uint64_t> requested{0};    // incident the last interrupt was requested for
  uint64_t printed = 0;                  // loop thread only
  double reports = 0;                    // incidents printed so far (loop thread only)
  std::atomic<bool> closed{false};
};

std::string Utf8(Isolate* isolate, Local<Value> value) {
  String::Utf8Value text(isolate, value);
  return *text != nullptr ? std::string(*text, text.length()) : std::string();
}

// Reads a plain data property of greenstack's own objects (Hub.current, Fiber.id/name).
Local<Value> Field(Isolate* isolate, Local<Context> context, Local<Value> obj, const char* name) {
  if (!obj->IsObject()) return v8::Undefined(isolate);
  Local<Value> out;
  if (!obj.As<Object>()->Get(context, String::NewFromUtf8(isolate, name).ToLocalChecked()).ToLocal(&out)) {
    return v8::Undefined(isolate);
  }
  return out;
}

// Runs on whichever thread runs the isolate's JS now: the hub's, or a fiber's carrier.
void OnInterrupt(Isolate* isolate, void* data) {
  auto* state = static_cast<MonitorState*>(data);
  if (state->closed.load()) return;
  uint64_t incident = state->requested.load();
  if (incident == state->printed || !state->monitor->Ongoing(incident)) return;
  state->printed = incident;
  state->reports++;
  state->monitor->Reported(incident);
  HandleScope scope(isolate);
  Local<Context> context = state->context.Get(isolate);
  Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  std::string who = "the hub (no fiber is running)";
  Local<Value> current = Field(isolate, context, state->hub.Get(isolate), "current");
  if (current->IsObject()) {
    who = "fiber #" + Utf8(isolate, Field(isolate, context, current, "id")) + " \"" +
          Utf8(isolate, Field(isolate, context, current, "name")) + "\"";
  }
  std::string out = "greenstack: the event loop has been blocked for " +
                    std::to_string(state->monitor->BlockedMs()) + " ms (monitorBlockingMs " +
                    std::to_string(state->monitor->threshold_ms()) + ") by " + who + ", at:\n";
  Local<StackTrace> trace = StackTrace::CurrentStackTrace(isolate, kMaxFrames);
  for (int i = 0; i < trace->GetFrameCount(); i++) {
    Local<StackFrame> frame = trace->GetFrame(isolate, i);
    std::string fn = Utf8(isolate, frame->GetFunctionName());
    std::string script = Utf8(isolate, frame->GetScriptNameOrSourceURL());
    out += "    at " + (fn.empty() ? std::string("<anonymous>") : fn) + " (" + script + ":" +
           std::to_string(frame->GetLineNumber()) + ":" + std::to_string(frame->GetColumn()) + ")\n";
  }
  if (trace->GetFrameCount() == 0) out += "    (no JavaScript on the stack: blocked in native code)\n";
  fwrite(out.data(), 1, out.size(), stderr);
  fflush(stderr);
}

// Watchdog thread: ask the isolate to run OnInterrupt at its next interrupt check.
void OnBlocked(void* data, uint64_t incident) {
  auto* state = static_cast<MonitorState*>(data);
  state->requested.store(incident);
  state->isolate->RequestInterrupt(OnInterrupt, state);
}

// monitor(ms, hub) -> 0 or a libuv error code; ms 0 turns the watchdog off.
void SetMonitor(const FunctionCallbackInfo<Value>& info) {
  auto* state = static_cast<MonitorState*>(info.Data().As<v8::External>()->Value());
  Isolate* isolate = info.GetIsolate();
  double ms = info.Length() > 0 && info[0]->IsNumber() ? info[0].As<v8::Number>()->Value() : 0;
  if (!(ms >= 0)) ms = 0;
  if (info.Length() > 1 && info[1]->IsObject() && state->hub.IsEmpty()) {
    state->hub.Reset(isolate, info[1].As<Object>());
  }
  info.GetReturnValue().Set(state->monitor->SetThresholdMs(static_cast<uint64_t>(ms)));
}

// monitorReports() -> incidents reported so far
void MonitorReports(const FunctionCallbackInfo<Value>& info) {
  auto* state = static_cast<MonitorState*>(info.Data().As<v8::External>()->Value());
  info.GetReturnValue().Set(state->reports);
}

void Cleanup(void* arg) {
  auto* state = static_cast<MonitorState*>(arg);
  state->closed.store(true);
  state->monitor->Stop();
  state->context.Reset();
  state->hub.Reset();
  // `state` and its Monitor stay allocated: an interrupt already requested may still
  // run (and return at once) while the isolate shuts down.
}

}  // namespace

void InitMonitor(Isolate* isolate, Local<Context> context, Local<Object> exports) {
  auto* state = new MonitorState();
  state->isolate = isolate;
  state->monitor = new Monitor(node::GetCurrentEventLoop(isolate), OnBlocked, state);
  state->context.Reset(isolate, context);
  node::AddEnvironmentCleanupHook(isolate, Cleanup, state);
  Local<v8::External> data = v8::External::New(isolate, state);
  const std::pair<const char*, v8::FunctionCallback> methods[] = {{"monitor", SetMonitor},
                                                                  {"monitorReports", MonitorReports}};
  for (const auto& [name, cb] : methods) {
    Local<v8::Function> fn = v8::FunctionTemplate::New(isolate, cb, data)->GetFunction(context).ToLocalChecked();
    exports->Set(context, String::NewFromUtf8(isolate, name).ToLocalChecked(), fn).Check();
  }
}

}  // namespace greenstack
