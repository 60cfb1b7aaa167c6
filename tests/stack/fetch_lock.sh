#!/usr/bin/env bash
# tests/stack/fetch_lock.sh: tools/stack/fetch.sh's lock rules, offline, on a made-up
# complete cache (no download, no apt): a lock that matches is quiet; a lock of
# other versions is a warning and is left unchanged; the same version with other
# .deb bytes is an error; --update-lock and a missing lock write the cache's
# packages; a cache without its images and no reachable archive is status 75.
# usage: fetch_lock.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
fetch=$(cd "$here/../.." && pwd)/tools/stack/fetch.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
fail() { echo "fetch_lock: FAIL: $*" >&2; fails=$((fails + 1)); }
sha() { sha256sum "$1" | awk '{print $1}'; }

# A complete cache as fetch.sh leaves it: debs/, root/, the links and the manifest.
cache=$dir/cache
mkdir -p "$cache/debs" "$cache/root/boot" "$cache/root/bin"
echo xen-deb >"$cache/debs/x.deb"; echo kernel-deb >"$cache/debs/k.deb"; echo bb-deb >"$cache/debs/b.deb"
echo xen >"$cache/root/boot/xen-4.17-amd64.gz"; echo linux >"$cache/root/boot/vmlinuz-6.1.0-9-amd64"
echo busybox >"$cache/root/bin/busybox"
ln -s root/boot/xen-4.17-amd64.gz "$cache/xen-4.17-amd64.gz"
ln -s root/boot/vmlinuz-6.1.0-9-amd64 "$cache/vmlinuz"
ln -s root/bin/busybox "$cache/busybox"
cat >"$cache/manifest" <<EOF
deb xen xen-hypervisor-4.17-amd64 4.17.1-1 x.deb $(sha "$cache/debs/x.deb")
deb kernel linux-image-6.1.0-9-amd64-unsigned 6.1.20-1 k.deb $(sha "$cache/debs/k.deb")
deb busybox busybox-static 1:1.35.0-4 b.deb $(sha "$cache/debs/b.deb")
image xen boot/xen-4.17-amd64.gz $(sha "$cache/root/boot/xen-4.17-amd64.gz")
image kernel boot/vmlinuz-6.1.0-9-amd64 $(sha "$cache/root/boot/vmlinuz-6.1.0-9-amd64")
image busybox bin/busybox $(sha "$cache/root/bin/busybox")
EOF

# run LOCK [ARGS...]: fetch.sh on the cache with LOCK; status in $status, stderr in $err.
run() {
    local lock=$1
    shift
    err=$(HVSIM_STACK_LOCK=$lock HVSIM_STACK_NO_APT=1 "$fetch" --cache "$cache" --quiet "$@" 2>&1)
    status=$?
}

# No lock yet: the first run writes it from the cache.
lock=$dir/stack.lock
run "$lock"
[ $status -eq 0 ] || fail "first run: status $status: $err"
[ "$(grep -v '^#' "$lock" 2>/dev/null)" = "$(cat "$cache/manifest")" ] || fail "first run did not record the cache in the lock"

# A matching lock: status 0, nothing said.
run "$lock"
[ $status -eq 0 ] && [ -z "$err" ] || fail "matching lock: status $status, said: $err"

# Another kernel in the lock (Debian moved on): a warning naming both; the lock unchanged.
sed 's/^deb kernel .*/deb kernel linux-image-6.1.0-8-amd64-unsigned 6.1.19-1 k.deb 00/' "$lock" >"$dir/other.lock"
cp "$dir/other.lock" "$dir/other.before"
run "$dir/other.lock"
[ $status -eq 0 ] || fail "other versions: status $status (a warning, not an error, was expected): $err"
echo "$err" | grep -q 'warning: .*linux-image-6.1.0-8-amd64-unsigned 6.1.19-1.*cache holds linux-image-6.1.0-9-amd64-unsigned 6.1.20-1' ||
    fail "other versions: no warning naming the lock's and the cache's kernel: $err"
cmp -s "$dir/other.lock" "$dir/other.before" || fail "other versions: the lock was changed without --update-lock"

# --update-lock records the cache.
run "$dir/other.lock" --update-lock
[ $status -eq 0 ] || fail "--update-lock: status $status: $err"
[ "$(grep -v '^#' "$dir/other.lock")" = "$(cat "$cache/manifest")" ] || fail "--update-lock did not record the cache"

# The same version with other bytes: an error.
sed 's/^\(deb xen [^ ]* [^ ]* [^ ]*\) .*/\1 0000/' "$lock" >"$dir/bad.lock"
run "$dir/bad.lock"
[ $status -eq 1 ] || fail "same version, other SHA-256: status $status, expected 1: $err"
echo "$err" | grep -q 'error: .*xen-hypervisor-4.17-amd64 4.17.1-1 with SHA-256 0000' ||
    fail "same version, other SHA-256: no error naming the package: $err"

# An empty cache with the archive out of reach: status 75 (tests skip on it).
# No network: fetch.sh runs in a network namespace of its own (unshare -n, root).
if [ -z "$(ls /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null)" ]; then
    echo "fetch_lock: no apt sources on this machine; the offline case is not checked" >&2
else
    status=0
    err=$(HVSIM_STACK_LOCK=$lock HVSIM_STACK_NO_APT=1 unshare -n \
          "$fetch" --cache "$dir/empty" --quiet 2>&1) || status=$?
    if [ $status -eq 1 ] && echo "$err" | grep -q 'unshare'; then
        echo "fetch_lock: cannot make a network namespace here; the offline case is not checked" >&2
    else
        [ $status -eq 75 ] || fail "empty cache, no network: status $status, expected 75: $err"
        [ ! -f "$dir/empty/manifest" ] || fail "empty cache, no network: a manifest was written"
    fi
fi

[ $fails -eq 0 ] && echo "fetch_lock: PASS"
[ $fails -eq 0 ]
