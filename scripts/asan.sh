#!/usr/bin/env bash
# asan.sh: builds the addon with AddressSanitizer into .cache/build-asan (build/ stays the
# normal build) and runs ava test files with it, on the fast backend, then on carrier.
#   scripts/asan.sh                                 the default files (below), both backends
#   scripts/asan.sh dist-test/core.gc.test.js       these files only
#   GREENSTACK_ASAN_BACKENDS=fast scripts/asan.sh   one backend only
# Node itself is not instrumented: libasan is preloaded (LD_PRELOAD), so node's malloc/free
# go through ASan's allocator and only the addon's own code is checked for stack and heap
# errors. Reports go to .cache/asan-logs/<backend>/asan.<pid> (also from fixture
# subprocesses, which inherit the environment); any such file fails the run.
# Needs dist-test/ (npm run build:ts). Exit status: non-zero if a test failed or ASan reported.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-versions.sh"
cd "$GS_ROOT"
[[ -d dist-test ]] || { gs_log "dist-test/ missing: run npm run build:ts first"; exit 1; }
START=$SECONDS

files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
  # Fast-backend-specific files first, then what switches most (fibers, kills, GC of
  # suspended fibers, the toolkit's primitives) and the threadpool-backed fs module.
  files=(dist-test/backend.fast.test.js dist-test/backend.fast-scenarios.test.js
         dist-test/core.fiber.test.js dist-test/core.kill.test.js dist-test/core.gc.test.js
         dist-test/toolkit.*.test.js dist-test/stdlib.fs.test.js)
fi

# --- The ASan build: a copy of binding.gyp and native/ (mtimes kept, so make rebuilds only
# what changed); gyp's Makefiles append CXXFLAGS/LDFLAGS from the environment.
gyp="$(gs_node_gyp)" || exit 1
work="$GS_CACHE/build-asan"
mkdir -p "$work"
rm -rf "$work/native"
cp -p binding.gyp "$work/"
cp -rp native "$work/native"
sys_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
gs_log "building the ASan addon in ${work#"$GS_ROOT"/}"
(cd "$work" && unset npm_config_nodedir npm_config_target npm_config_runtime npm_config_dist_url &&
  export CXXFLAGS="-fsanitize=address -fno-omit-frame-pointer -g -O1" LDFLAGS="-fsanitize=address" &&
  node "$gyp" configure --nodedir="$sys_prefix" --loglevel=warn &&
  node "$gyp" build --nodedir="$sys_prefix" --loglevel=warn -j 2) >&2 || { gs_log "ASan build failed"; exit 1; }
addon="$work/build/Release/greenstack.node"
nm -D "$addon" | grep __asan_init >/dev/null || { gs_log "$addon is not instrumented"; exit 1; }
libasan="$(g++ -print-file-name=libasan.so)"
[[ -f "$libasan" ]] || { gs_log "no libasan.so (g++ -print-file-name=libasan.so)"; exit 1; }
gs_log "built in $((SECONDS - START))s"

# --- ASan options, for an uninstrumented node with libasan preloaded (everything else is
# ASan's default, and the runs are clean with it: no mismatch, ODR or signal-handler noise
# from node, V8's WebAssembly trap handler included):
#  detect_leaks=0                   LeakSanitizer reports node's own allocations still held at
#                                   exit (v8_inspector contexts) and the blocking monitor's
#                                   state, kept alive on purpose (native/monitor_v8.cc, Cleanup)
#  detect_stack_use_after_return=1  the addon's frames live on fake stacks, so a pointer into a
#                                   returned frame is caught; this is also what most needs the
#                                   fiber switch annotations (native/asan.h)
#  log_path                         one report file per process, fixtures included
base_opts="detect_leaks=0:detect_stack_use_after_return=1"

backends=(${GREENSTACK_ASAN_BACKENDS:-fast carrier})
failed=()

# --- The fast backend's coroutines without V8 (test/native/asan_fibers.cc): a C++ throw on
# one coroutine while another is suspended with a live fake frame, then idle, retired and
# trimmed stacks. Without the switch annotations this reports a stack-use-after-return.
harness="$work/asan_fibers"
g++ -std=c++20 -fsanitize=address -fno-omit-frame-pointer -g -O1 -Inative \
  test/native/asan_fibers.cc native/fast_stack.cc native/fork_stacks.cc native/tls_image.cc -o "$harness" ||
  { gs_log "cannot build test/native/asan_fibers.cc"; exit 1; }
for uar in 1 0; do
  ASAN_OPTIONS="$base_opts:detect_stack_use_after_return=$uar" "$harness" ||
    failed+=("test/native/asan_fibers.cc (detect_stack_use_after_return=$uar)")
done
for backend in "${backends[@]}"; do
  logs="$GS_CACHE/asan-logs/$backend"
  rm -rf "$logs" && mkdir -p "$logs"
  t0=$SECONDS
  # A fast run that quietly fell back to carriers would prove nothing.
  active="$(GREENSTACK_ADDON="$addon" GREENSTACK_BACKEND="$backend" LD_PRELOAD="$libasan" \
    ASAN_OPTIONS="$base_opts:log_path=$logs/asan" node -e '
      const gs = require("./dist/index.js");
      gs.spawn(() => {});
      setImmediate(() => console.log(gs.runtimeStats().backend));')"
  if [[ "$active" != "$backend" ]]; then
    gs_log "$backend requested, but fibers ran on '$active' under ASan"
    failed+=("$backend: not active")
    continue
  fi
  gs_log "ava on the $backend backend under ASan: ${files[*]}"
  GREENSTACK_ADDON="$addon" GREENSTACK_BACKEND="$backend" LD_PRELOAD="$libasan" \
    ASAN_OPTIONS="$base_opts:log_path=$logs/asan" \
    node node_modules/ava/entrypoints/cli.mjs "${files[@]}" || failed+=("$backend: ava")
  reports=("$logs"/asan.*)
  if [[ -e "${reports[0]}" ]]; then
    gs_log "$backend: ASan wrote ${#reports[@]} report(s):"
    for r in "${reports[@]}"; do
      printf -- '---- %s\n' "$r" >&2
      head -n 60 "$r" >&2
    done
    failed+=("$backend: ASan reports")
  fi
  gs_log "$backend backend took $((SECONDS - t0))s"
done
gs_log "scripts/asan.sh took $((SECONDS - START))s"
if [[ ${#failed[@]} -gt 0 ]]; then
  gs_log "ASan run FAILED: ${failed[*]}"
  exit 1
fi
gs_log "ASan run clean on ${backends[*]}"
