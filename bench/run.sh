#!/usr/bin/env bash
# bench/run.sh: runs every benchmark, bench/*/run.sh, against one build.
# usage: bench/run.sh BUILD_DIR   (the Makefile's `make bench`)
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
failed=0
for script in "$here"/*/run.sh; do
    [ -x "$script" ] || continue
    echo "== $(basename "$(dirname "$script")")"
    "$script" "$1" || { echo "bench: $script failed" >&2; failed=1; }
done
exit $failed
