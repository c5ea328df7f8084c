#!/usr/bin/env bash
# scripts/api-docs.sh: regenerates docs/api, the API reference, from the TSDoc of the public entry points with TypeDoc; with --check, fails when docs/api is not what the sources give.
# TypeDoc runs on TypeScript 5, the project builds with TypeScript 7: TypeDoc lives in its own
# tool project, tools/api-docs (its typedoc.json lists the entry points, entries/ says what each documents).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tool=tools/api-docs
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: bash scripts/api-docs.sh [--check]" >&2; exit 2 ;;
esac

# Install the tool project when it is missing or its lock file changed since.
if [[ ! -x $tool/node_modules/.bin/typedoc || $tool/package-lock.json -nt $tool/node_modules/.package-lock.json ]]; then
  npm ci --prefix "$tool" --no-audit --no-fund --loglevel=error
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$tool/node_modules/.bin/typedoc" --options "$tool/typedoc.json" --out "$out/api" --logLevel Warn

if [[ $check -eq 1 ]]; then
  if ! diff -r -q docs/api "$out/api"; then
    diff -r -u docs/api "$out/api" | head -40 || true
    echo "docs/api is stale: regenerate it with 'npm run docs:api' and commit it" >&2
    exit 1
  fi
  echo "docs/api is up to date"
else
  rm -rf docs/api
  mv "$out/api" docs/api
  echo "docs/api regenerated"
fi
