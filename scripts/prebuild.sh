#!/usr/bin/env bash
# prebuild.sh: builds the prebuilt addons that ship in the package, one per supported Node ABI,
# into prebuilds/<platform>-<arch>/greenstack.abi<NODE_MODULE_VERSION>.node.
#   scripts/prebuild.sh            all supported majors (20 22 24)
#   scripts/prebuild.sh 22         only Node 22
#   scripts/prebuild.sh --check    fail unless every major has a prebuild newer than native/
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-versions.sh"

if [[ "${1:-}" == "--check" ]]; then
  # Run before publishing: a missing or stale prebuild would ship a wrong binary.
  status=0
  for major in "${GS_NODE_MAJORS[@]}"; do
    dir="$(gs_node_dir "$major")"
    abi="$("$dir/bin/node" -p process.versions.modules)"
    plat="$("$dir/bin/node" -p 'process.platform + "-" + process.arch')"
    f="$GS_ROOT/prebuilds/$plat/greenstack.abi$abi.node"
    if [[ ! -f "$f" ]]; then
      gs_log "missing $f (Node $major): run npm run prebuilds"; status=1
    elif [[ -n "$(find "$GS_ROOT/native" "$GS_ROOT/binding.gyp" -newer "$f" -print -quit)" ]]; then
      gs_log "stale $f (native/ changed since): run npm run prebuilds"; status=1
    fi
  done
  exit "$status"
fi

majors=("$@")
[[ ${#majors[@]} -gt 0 ]] || majors=("${GS_NODE_MAJORS[@]}")
for major in "${majors[@]}"; do
  dir="$(gs_node_dir "$major")"
  out="$(gs_build "$dir")"
  gs_log "wrote ${out#"$GS_ROOT"/} ($(stat -c %s "$out") bytes)"
done
