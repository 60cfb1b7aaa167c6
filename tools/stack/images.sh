#!/usr/bin/env bash
# tools/stack/images.sh: makes sure the stack cache holds everything a scenario of
# the real stack boots: Xen, the Linux kernel (fetch.sh) and Domain-0's initramfs
# dom0.cpio (mkdom0.sh), rebuilding dom0.cpio only when one of its inputs changed
# (the scripts and files under tools/stack/ it is made of, and the packages in
# the caches' manifests), so `make demo` after the first run costs nothing here.
#
# usage: tools/stack/images.sh [--cache DIR]
# Prints nothing when all is current; exit status as fetch.sh's (75: offline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
if [ "${1:-}" = --cache ]; then cache=${2:?--cache needs a folder}; fi
"$here/fetch.sh" --cache "$cache" --quiet || exit $?
# One build at a time per cache (tests and the benchmark may start together).
exec 8>"$cache/.images.lock"
flock 8
"$here/fetch.sh" --set dom0 --cache "$cache/dom0" --quiet || exit $?
stamp=$( (cd "$here" && find mkdom0.sh cpio.sh common dom0 domU -type f | LC_ALL=C sort | xargs sha256sum;
          cat "$cache/manifest" "$cache/dom0/manifest") | sha256sum | awk '{print $1}')
if [ -f "$cache/dom0.cpio" ] && [ "$(cat "$cache/dom0.stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi
echo "stack/images: building Domain-0's initramfs ($cache/dom0.cpio)" >&2
"$here/mkdom0.sh" --cache "$cache" "$cache/dom0.cpio.new" "$cache/domU.cpio"
mv "$cache/dom0.cpio.new" "$cache/dom0.cpio"
echo "$stamp" >"$cache/dom0.stamp"
