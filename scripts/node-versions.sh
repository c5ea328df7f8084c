# node-versions.sh: sourced by prebuild.sh and matrix.sh: finds or fetches a Node of a given
# major version (binary + headers) and builds the addon for its ABI without touching build/.
# shellcheck shell=bash

GS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GS_CACHE="${GREENSTACK_CACHE:-$GS_ROOT/.cache}"
# The Node majors greenstack supports and ships prebuilt addons for (package.json "engines").
GS_NODE_MAJORS=(20 22 24)

gs_log() { printf '[greenstack] %s\n' "$*" >&2; }

# npm's bundled node-gyp: the one `npm install` uses, so nothing else has to be installed.
gs_node_gyp() {
  local npm_cli
  if [[ -n "${npm_config_node_gyp:-}" && -f "$npm_config_node_gyp" ]]; then
    echo "$npm_config_node_gyp"
    return
  fi
  npm_cli="$(readlink -f "$(command -v npm)")"
  local gyp="$(dirname "$npm_cli")/../node_modules/node-gyp/bin/node-gyp.js"
  if [[ ! -f "$gyp" ]]; then
    gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  fi
  [[ -f "$gyp" ]] || { gs_log "cannot find npm's bundled node-gyp"; return 1; }
  readlink -f "$gyp"
}

# Prints a directory holding bin/node and include/node for Node major $1. The Node on PATH is
# used when it is that major and has its headers; otherwise the npm package
# node-<platform>-<arch>@<major> is fetched once into $GS_CACHE/node-<major> (the npm registry
# is the only network this needs; the archive stays in npm's cache).
# The exact versions CI tests (src/core/tested-builds.ts lists their fingerprints; the
# `auto` backend picks fast only on those): bump both together.
gs_pinned() {
  case "$1" in
    22) echo 22.23.5 ;;
    24) echo 24.22.3 ;;
    *) echo "$1" ;;
  esac
}

gs_node_dir() {
  local major="$1" sys_node sys_prefix dir tgz pkg
  sys_node="$(command -v node || true)"
  if [[ -n "$sys_node" ]]; then
    sys_node="$(readlink -f "$sys_node")"
    sys_prefix="$(dirname "$(dirname "$sys_node")")"
    if [[ "$("$sys_node" -p 'process.versions.node.split(".")[0]')" == "$major" &&
          -f "$sys_prefix/include/node/node.h" ]]; then
      echo "$sys_prefix"
      return
    fi
  fi
  dir="$GS_CACHE/node-$major"
  if [[ -x "$dir/bin/node" && -f "$dir/include/node/node.h" ]] &&
     [[ "$("$dir/bin/node" --version 2>/dev/null)" == "v$(gs_pinned "$major")" || "$(gs_pinned "$major")" == "$major" ]]; then
    echo "$dir"
    return
  fi
  pkg="node-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')@$(gs_pinned "$major")"
  gs_log "fetching $pkg into $dir"
  mkdir -p "$GS_CACHE"
  tgz="$(cd "$GS_CACHE" && npm pack "$pkg" --silent | tail -n1)" || return 1
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  tar -xzf "$GS_CACHE/$tgz" -C "$dir.tmp" --strip-components=1 \
    package/bin/node package/include package/package.json || return 1
  rm -f "$GS_CACHE/$tgz"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  "$dir/bin/node" -e 0 || { gs_log "$dir/bin/node does not run here"; return 1; }
  echo "$dir"
}

# Builds the addon with the Node in dir $1 into prebuilds/<platform>-<arch>/greenstack.abi<N>.node
# (stripped) and prints that path. Works in $GS_CACHE/build-<major>, a copy of binding.gyp and
# native/ with their mtimes kept, so make rebuilds only what changed and build/ is never touched.
gs_build() {
  local dir="$1" node="$1/bin/node" gyp abi plat major work out
  gyp="$(gs_node_gyp)" || return 1
  abi="$("$node" -p process.versions.modules)"
  plat="$("$node" -p 'process.platform + "-" + process.arch')"
  major="$("$node" -p 'process.versions.node.split(".")[0]')"
  work="$GS_CACHE/build-$major"
  mkdir -p "$work"
  rm -rf "$work/native"
  cp -p "$GS_ROOT/binding.gyp" "$work/"
  cp -rp "$GS_ROOT/native" "$work/native"
  gs_log "building for Node $("$node" --version) (ABI $abi) with headers from $dir"
  # Under `npm run`, npm exports its config (npm_config_nodedir=/usr here), which node-gyp
  # prefers to --nodedir: that would build every prebuild for the system Node's ABI.
  (cd "$work" && unset npm_config_nodedir npm_config_target npm_config_runtime npm_config_dist_url &&
    "$node" "$gyp" configure --nodedir="$dir" --loglevel=warn &&
    "$node" "$gyp" build --nodedir="$dir" --loglevel=warn -j 2) >&2 || return 1
  out="$GS_ROOT/prebuilds/$plat/greenstack.abi$abi.node"
  mkdir -p "$(dirname "$out")"
  # strip: symbols are for debugging a local build; the dynamic symbols Node needs stay.
  strip --strip-unneeded -o "$out.tmp" "$work/build/Release/greenstack.node" && mv "$out.tmp" "$out"
  echo "$out"
}
