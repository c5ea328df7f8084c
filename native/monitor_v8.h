// monitor_v8.h: the blocking watchdog's JS face (V8 side), set up once per environment.
#pragma once

#include <v8.h>

namespace greenstack {

// Adds monitor(ms, hub) and monitorReports() to exports and registers the environment's cleanup.
void InitMonitor(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> exports);

}  // namespace greenstack
