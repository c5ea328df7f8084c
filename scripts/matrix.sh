#!/usr/bin/env bash
# matrix.sh: runs the ava suite on other Node versions: builds the addon for each one's ABI
# into prebuilds/ (the loader picks it; build/ stays the system Node's) and runs ava with that
# Node, first on PATH so fixtures started as `node` get it too.
#   scripts/matrix.sh                     Node 22 and 24
#   scripts/matrix.sh 24                  only Node 24
#   scripts/matrix.sh 22 -- dist-test/core.fiber.test.js   ava arguments after --
# Needs dist-test/ (npm run build:ts). Exit status: non-zero if any version failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-versions.sh"

majors=()
while [[ $# -gt 0 && "$1" != "--" ]]; do majors+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
[[ ${#majors[@]} -gt 0 ]] || majors=(22 24)

cd "$GS_ROOT"
[[ -d dist-test ]] || { gs_log "dist-test/ missing: run npm run build:ts first"; exit 1; }
failed=()
for major in "${majors[@]}"; do
  if ! dir="$(gs_node_dir "$major")" || ! out="$(gs_build "$dir")"; then
    gs_log "Node $major: could not get or build for this version"
    failed+=("$major")
    continue
  fi
  gs_log "Node $major: ava with $("$dir/bin/node" --version), addon ${out#"$GS_ROOT"/}"
  if ! PATH="$dir/bin:$PATH" "$dir/bin/node" node_modules/ava/entrypoints/cli.mjs "$@"; then
    failed+=("$major")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  gs_log "matrix FAILED on Node ${failed[*]}"
  exit 1
fi
gs_log "matrix passed on Node ${majors[*]}"
