#!/usr/bin/env bash
# tools/stack/fetch.sh: provides the real stack's images (Debian 12's Xen 4.17
# hypervisor, Linux 6.1 kernel, static busybox) in an ignored cache inside the
# project, from Debian packages fetched with the machine's own apt configuration
# (`apt-get download`, then `dpkg -x`; nothing is installed on the system), and
# checks them against tools/stack/stack.lock. With `--set dom0` it does the same for
# the packages of Domain-0's userland (Xen's xl toolstack, its libraries, bash,
# iproute2, bridge-utils; tools/stack/dom0.packages), into <cache>/dom0 against
# tools/stack/dom0.lock; tools/stack/mkdom0.sh builds Domain-0's initramfs from them.
#
# usage: tools/stack/fetch.sh [--set boot|dom0] [--cache DIR] [--update-lock] [--quiet]
#   --set NAME      boot (default): the three images; dom0: Domain-0's userland packages
#   --cache DIR     the cache folder (default: $HVSIM_STACK_CACHE or <project>/cache/stack,
#                   and its dom0/ subfolder for --set dom0)
#   --update-lock   record the cache's packages in stack.lock (nothing else writes it,
#                   except the very first run, when there is no lock yet)
#   --quiet         no progress lines, only warnings and errors
# Afterwards DIR holds xen-4.17-amd64.gz, vmlinuz and busybox (links into DIR/root,
# where the packages are unpacked) and the .debs in DIR/debs.
#
# Debian's archive keeps only the current version of a stable package, so a fresh
# cache gets the current version of each package line (the kernel: the highest ABI
# of linux-image-6.1.0-N-amd64-unsigned that apt offers), and a version that differs
# from the lock is a warning, not an error; the same version with other bytes is an
# error. A complete cache works offline and is never re-downloaded.
# Environment: HVSIM_STACK_CACHE (the default cache), HVSIM_STACK_LOCK (another lock
# file, for tests), HVSIM_STACK_NO_APT=1 (a complete cache is checked against the lock
# only, without asking apt's lists what Debian offers now: faster, for tests).
# Exit status: 0 ready; 1 error; 75 the cache lacks the images and the Debian
# archive cannot be reached (tests skip on this status, and only on this one).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
set_name=boot
cache=""
update_lock=0
quiet=0
while [ $# -gt 0 ]; do
    case "$1" in
        --set) set_name=${2:?--set needs boot or dom0}; shift 2 ;;
        --cache) cache=${2:?--cache needs a folder}; shift 2 ;;
        --update-lock) update_lock=1; shift ;;
        --quiet) quiet=1; shift ;;
        *) echo "usage: $0 [--set boot|dom0] [--cache DIR] [--update-lock] [--quiet]" >&2; exit 2 ;;
    esac
done
case "$set_name" in
    boot) lock=${HVSIM_STACK_LOCK:-$here/stack.lock}
          cache=${cache:-${HVSIM_STACK_CACHE:-$project/cache/stack}} ;;
    dom0) lock=${HVSIM_STACK_LOCK:-$here/dom0.lock}
          cache=${cache:-${HVSIM_STACK_CACHE:-$project/cache/stack}/dom0} ;;
    *) echo "stack/fetch: error: --set $set_name: the sets are boot and dom0" >&2; exit 2 ;;
esac

say() { [ "$quiet" -eq 1 ] || echo "stack/fetch: $*" >&2; }
warn() { echo "stack/fetch: warning: $*" >&2; }
die() { echo "stack/fetch: error: $*" >&2; exit 1; }

# The roles, their package (or package line) and the image each provides,
# as a path inside the unpacked package; %ABI% is the kernel's ABI name.
# The dom0 set's roles are its package names, and they provide no single image.
declare -A image_of=() link_of=()
if [ "$set_name" = boot ]; then
    roles=(xen kernel busybox)
    image_of=([xen]=boot/xen-4.17-amd64.gz [kernel]=boot/vmlinuz-%ABI% [busybox]=bin/busybox)
    link_of=([xen]=xen-4.17-amd64.gz [kernel]=vmlinuz [busybox]=busybox)
else
    mapfile -t roles < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/dom0.packages" | awk '{print $1}')
fi

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
manifest=$cache/manifest     # what the cache holds, in the lock's format
# One fetch.sh at a time per cache (a test and the benchmark may start together).
exec 9>"$cache/.lock"
flock 9

# sha FILE: its SHA-256.
sha() { sha256sum "$1" | awk '{print $1}'; }

# field FILE KIND ROLE COLUMN: a column of the lock/manifest line "KIND ROLE ...".
field() {
    [ -f "$1" ] || return 0
    awk -v k="$2" -v r="$3" -v c="$4" '$1 == k && $2 == r { print $c; exit }' "$1"
}

# cache_complete: the manifest exists, every .deb it names is there, and every
# image has the SHA-256 it recorded (hashing the 70 MB of .debs each run is skipped).
cache_complete() {
    [ -f "$manifest" ] || return 1
    local role deb path want
    for role in "${roles[@]}"; do
        deb=$(field "$manifest" deb "$role" 5)
        [ -n "$deb" ] && [ -f "$cache/debs/$deb" ] || return 1
        [ -n "${image_of[$role]:-}" ] || continue
        path=$(field "$manifest" image "$role" 3)
        want=$(field "$manifest" image "$role" 4)
        [ -n "$path" ] && [ -f "$cache/root/$path" ] || return 1
        [ "$(sha "$cache/root/$path")" = "$want" ] || {
            warn "$cache/root/$path does not have the SHA-256 the manifest recorded; unpacking again"
            return 1
        }
        [ -L "$cache/${link_of[$role]}" ] || return 1
    done
}

# offers: what apt's lists offer now, in off_pkg[ROLE] and off_ver[ROLE] (empty
# when nothing): two apt-cache calls, made once (they read the lists; no network).
declare -A off_pkg=() off_ver=()
offers_read=0
offers() {
    [ "$offers_read" -eq 0 ] || return 0
    offers_read=1
    local kernels p v
    if [ "$set_name" = dom0 ]; then
        while read -r p v; do off_pkg[$p]=$p; off_ver[$p]=$v; done < <(
            apt-cache policy "${roles[@]}" 2>/dev/null |
            awk '/^[^ ].*:$/ { p = substr($1, 1, length($1) - 1) }
                 $1 == "Candidate:" && $2 != "(none)" { print p, $2 }')
        return 0
    fi
    kernels=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
              grep -E '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' | sort -V -r || true)
    declare -A cand=()
    while read -r p v; do cand[$p]=$v; done < <(
        apt-cache policy xen-hypervisor-4.17-amd64 busybox-static $kernels 2>/dev/null |
        awk '/^[^ ].*:$/ { p = substr($1, 1, length($1) - 1) }
             $1 == "Candidate:" && $2 != "(none)" { print p, $2 }')
    off_pkg[xen]=xen-hypervisor-4.17-amd64; off_ver[xen]=${cand[xen-hypervisor-4.17-amd64]:-}
    off_pkg[busybox]=busybox-static; off_ver[busybox]=${cand[busybox-static]:-}
    off_pkg[kernel]=""; off_ver[kernel]=""
    for p in $kernels; do    # the highest ABI that has a candidate
        if [ -n "${cand[$p]:-}" ]; then off_pkg[kernel]=$p; off_ver[kernel]=${cand[$p]}; break; fi
    done
}

# mirror_reachable: a TCP connection to the first Debian mirror of the machine's
# apt sources opens within 10 s (bash's /dev/tcp: no tool beyond bash needed).
mirror_reachable() {
    local uri host port
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2; exit}')
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
    fi
    [ -n "$uri" ] || return 1
    host=${uri#*://}; host=${host%%/*}
    case "$uri" in https:*) port=443 ;; *) port=80 ;; esac
    case "$host" in *:*) port=${host##*:}; host=${host%%:*} ;; esac
    timeout 10 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# report_drift FILE WHAT: warn for every role whose package or version in FILE
# differs from the cache's manifest; fail when a version is the same and the
# bytes are not (that is corruption or tampering, not Debian moving on).
report_drift() {
    local file=$1 what=$2 role p v s mp mv ms
    for role in "${roles[@]}"; do
        p=$(field "$file" deb "$role" 3); v=$(field "$file" deb "$role" 4); s=$(field "$file" deb "$role" 6)
        mp=$(field "$manifest" deb "$role" 3); mv=$(field "$manifest" deb "$role" 4); ms=$(field "$manifest" deb "$role" 6)
        [ -n "$p" ] || { warn "$what has no line for $role"; continue; }
        if [ "$p" != "$mp" ] || [ "$v" != "$mv" ]; then
            warn "$what records $p $v for $role, the cache holds $mp $mv" \
                 "(Debian's archive keeps only the current version; run tools/stack/fetch.sh --update-lock to record the cache's)"
        elif [ "$s" != "$ms" ]; then
            die "$what records $p $v with SHA-256 $s, the cache's .deb of the same version has $ms"
        fi
    done
}

# Offline path: a complete cache is used as it is.
if cache_complete; then
    say "cache $cache is complete"
else
    # Resolve the current package of each role from the machine's apt lists,
    # refreshing them once (apt-get update; nothing is installed) if they do not know one.
    declare -A pkg=() ver=()
    resolve() {
        local role
        offers
        for role in "${roles[@]}"; do
            pkg[$role]=${off_pkg[$role]:-}
            ver[$role]=${off_ver[$role]:-}
            [ -n "${pkg[$role]}" ] && [ -n "${ver[$role]}" ] || return 1
        done
    }
    download() {
        local dir=$1 role specs=()
        for role in "${roles[@]}"; do specs+=("${pkg[$role]}=${ver[$role]}"); done
        (cd "$dir" && apt-get download -q "${specs[@]}" >&2) || return 1
    }
    offline() {
        echo "stack/fetch: the cache $cache lacks the stack's images and the Debian archive" \
             "cannot be reached: $1" >&2
        exit 75
    }
    work=$(mktemp -d)
    chmod 755 "$work"   # apt drops privileges to _apt for downloads
    trap 'rm -rf "$work"' EXIT
    if ! resolve || ! download "$work"; then
        mirror_reachable || offline "no connection to the machine's Debian mirror"
        [ "$(id -u)" -eq 0 ] || die "apt's lists do not offer the packages and refreshing them needs root"
        say "apt's lists do not offer the packages; running apt-get update (the machine's configuration)"
        apt-get update -q >&2 || offline "apt-get update failed"
        offers_read=0
        rm -f "$work"/*.deb
        resolve || die "apt does not offer every package of the $set_name set (${roles[*]}); is this Debian 12 (bookworm) with its security suite?"
        download "$work" || offline "apt-get download failed"
    fi
    rm -rf "$cache/debs" "$cache/root" "$manifest"
    mkdir -p "$cache/debs" "$cache/root"
    {
        echo "# What $cache holds: deb ROLE PACKAGE VERSION FILE SHA256, image ROLE PATH SHA256"
        for role in "${roles[@]}"; do
            deb=$(cd "$work" && ls -- "${pkg[$role]}"_*.deb)
            mv "$work/$deb" "$cache/debs/$deb"
            dpkg-deb -x "$cache/debs/$deb" "$cache/root"
            echo "deb $role ${pkg[$role]} ${ver[$role]} $deb $(sha "$cache/debs/$deb")"
        done
        for role in "${roles[@]}"; do
            path=${image_of[$role]:-}
            [ -n "$path" ] || continue
            if [ "$role" = kernel ]; then
                abi=${pkg[kernel]#linux-image-}; abi=${abi%-unsigned}
                path=${path//%ABI%/$abi}
            fi
            [ -f "$cache/root/$path" ] || die "${pkg[$role]} has no $path"
            echo "image $role $path $(sha "$cache/root/$path")"
        done
    } >"$work/manifest"
    mv "$work/manifest" "$manifest"
    for role in "${roles[@]}"; do
        [ -n "${link_of[$role]:-}" ] || continue
        ln -sfn "root/$(field "$manifest" image "$role" 3)" "$cache/${link_of[$role]}"
    done
    say "unpacked $(awk '$1 == "deb" {printf "%s %s; ", $3, $4}' "$manifest")into $cache"
fi

# The lock: written by the first run and by --update-lock, never silently.
if [ ! -f "$lock" ] || [ "$update_lock" -eq 1 ]; then
    {
        echo "# tools/stack/$(basename "$lock"): the Debian packages of the real stack ($set_name set) and the SHA-256"
        echo "# of each .deb and of the image taken from it (tools/stack/fetch.sh writes it"
        echo "# on its first run and with --update-lock; docs/stack.md)."
        echo "# deb ROLE PACKAGE VERSION FILE SHA256"
        echo "# image ROLE PATH-IN-PACKAGE SHA256"
        grep -v '^#' "$manifest"
    } >"$lock.tmp"
    mv "$lock.tmp" "$lock"
    say "recorded the cache's packages in $lock"
else
    report_drift "$lock" "$lock"
    # Image sums follow from the .deb's; a differing one with equal .debs is corruption.
    for role in "${roles[@]}"; do
        [ -n "${image_of[$role]:-}" ] || continue
        if [ "$(field "$lock" deb "$role" 6)" = "$(field "$manifest" deb "$role" 6)" ] &&
           [ "$(field "$lock" image "$role" 4)" != "$(field "$manifest" image "$role" 4)" ]; then
            die "the $role image in $cache/root differs from the lock's SHA-256 though its .deb matches"
        fi
    done
fi

# What Debian offers now, from the machine's apt lists (read only, no network):
# a newer version is said, so nobody believes the cache is current when it is not.
[ "${HVSIM_STACK_NO_APT:-0}" = 1 ] && exit 0
offers
for role in "${roles[@]}"; do
    p=${off_pkg[$role]} v=${off_ver[$role]}
    [ -n "$v" ] || continue
    if [ "$p" != "$(field "$manifest" deb "$role" 3)" ] || [ "$v" != "$(field "$manifest" deb "$role" 4)" ]; then
        warn "Debian now offers $p $v for $role; the cache holds" \
             "$(field "$manifest" deb "$role" 3) $(field "$manifest" deb "$role" 4)" \
             "(remove $cache to fetch it, then --update-lock to record it)"
    fi
done
exit 0
