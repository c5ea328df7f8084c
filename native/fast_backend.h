// fast_backend.h: starts the fast backend for one isolate after proving its TLS layout on helper threads (V8 side, no fiber state).
#pragma once

#include <v8.h>

#include <string>

#include "fast_stack.h"

namespace greenstack {

struct FastBackendReport {
  std::string details;  // the layout found, for the debug channel
  double probe_ms = 0;  // time the discovery took
};

// Called on the hub thread, with the isolate locked and entered, before any fiber
// exists. Finds the TLS block of the module holding V8, runs `probe` on two helper
// threads the way a carrier runs a fiber (Locker, Enter, stack limit, call) and
// compares their TLS images with the hub's, then creates the switcher. Returns
// null and sets *why on any doubt. force_failure (tests only) fails after discovery.
FastSwitcher* StartFastBackend(v8::Isolate* isolate, v8::Local<v8::Function> probe,
                               Switcher::ThreadExitHook hook, bool force_failure,
                               std::string* why, FastBackendReport* report);

}  // namespace greenstack
