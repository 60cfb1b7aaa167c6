#!/usr/bin/env bash
# tools/stack/mkdom0.sh: builds Domain-0's initramfs for the real stack: Debian 12's
# Xen toolstack (xl, xenstored, xenconsoled, xen-init-dom0, the hotplug scripts) with
# the libraries it links against, bash, iproute2 and bridge-utils (fetch.sh --set
# dom0), the Linux modules Domain-0 needs from the kernel package, a static busybox,
# /etc/xen with the DomU configurations, and /var/lib/xen/images with the DomU kernel
# (the same Linux) and a small busybox initramfs for it. The /init is
# tools/stack/dom0/init. The archive's bytes depend only on its inputs (cpio.sh).
#
# usage: tools/stack/mkdom0.sh [--cache DIR] OUT.cpio [DOMU.cpio]
#   --cache DIR   the stack cache (default: $HVSIM_STACK_CACHE or <project>/cache/stack);
#                 both sets are fetched into it first if missing (fetch.sh)
#   DOMU.cpio     also keep the DomU initramfs there
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${HVSIM_STACK_CACHE:-$project/cache/stack}
if [ "${1:-}" = --cache ]; then cache=${2:?--cache needs a folder}; shift 2; fi
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 [--cache DIR] OUT.cpio [DOMU.cpio]" >&2; exit 2; }
out=$1 domu_out=${2:-}
die() { echo "mkdom0: error: $*" >&2; exit 1; }

"$here/fetch.sh" --cache "$cache" --quiet || exit $?
"$here/fetch.sh" --set dom0 --cache "$cache/dom0" --quiet || exit $?
boot=$cache/root             # the kernel package (modules) and busybox
pkgs=$cache/dom0/root        # Domain-0's userland packages
abi=$(basename "$(readlink "$cache/vmlinuz")"); abi=${abi#vmlinuz-}
[ -d "$boot/lib/modules/$abi" ] || die "the kernel package has no lib/modules/$abi"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
umask 022

# tree ROOT: the folders every busybox system here has.
tree() {
    mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root,etc,var}
    ln -s ../run "$1/var/run"
    cp "$cache/busybox" "$1/bin/busybox"
    mkdir -p "$1/etc/udhcpc"
    cp "$here/common/udhcpc.script" "$1/etc/udhcpc/default.script"
}

# 1. The DomU's initramfs: busybox and its /init.
du=$stage/domU
tree "$du"
cp "$here/domU/init" "$du/init"
cp "$here/domU/profile" "$du/etc/profile"
cp "$here/domU/inittab" "$du/etc/inittab"
mkdir -p "$du/lib/modules"
cp "$boot/lib/modules/$abi/kernel/drivers/net/xen-netfront.ko" "$du/lib/modules/"
chmod 755 "$du/init"
"$here/cpio.sh" "$du" "$stage/domU.cpio" --nod dev/console:5:1

# 2. Domain-0's tree.
d0=$stage/dom0
tree "$d0"
cp "$here/dom0/init" "$d0/init"
chmod 755 "$d0/init"
cp -r "$here/dom0/etc/." "$d0/etc/"
# Libraries: every shared object the packages ship, and the loader's link.
mkdir -p "$d0/lib/x86_64-linux-gnu" "$d0/usr/lib/x86_64-linux-gnu" "$d0/lib64"
cp -P "$pkgs"/lib/x86_64-linux-gnu/*.so* "$d0/lib/x86_64-linux-gnu/"
cp -P "$pkgs"/usr/lib/x86_64-linux-gnu/*.so* "$d0/usr/lib/x86_64-linux-gnu/"
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$d0/lib64/ld-linux-x86-64.so.2"
# Xen's programs, under their own folder and linked from /usr/sbin without Debian's
# version-choosing wrapper script (one shell less per command).
xbin=usr/lib/xen-4.17/bin
mkdir -p "$d0/$xbin"
for p in xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper; do
    cp "$pkgs/$xbin/$p" "$d0/$xbin/$p"
    ln -s "/$xbin/$p" "$d0/usr/sbin/$p"
done
cp "$pkgs"/usr/bin/xenstore* "$d0/usr/bin/"
cp -r "$pkgs/etc/xen/scripts" "$pkgs/etc/xen/xl.conf" "$d0/etc/xen/"
mkdir -p "$d0/etc/default"
# The hotplug scripts' shell and network tools.
cp "$pkgs/bin/bash" "$d0/bin/bash"
cp "$pkgs/bin/ip" "$d0/sbin/ip"
cp "$pkgs/sbin/bridge" "$pkgs/sbin/brctl" "$d0/sbin/"
# libvirt's NAT network: dnsmasq, and iptables with the legacy backend (the
# kernel's ip_tables; its extensions are dlopen()ed from the xtables folder).
cp "$pkgs/usr/sbin/dnsmasq" "$d0/usr/sbin/dnsmasq"
cp "$pkgs/usr/sbin/xtables-legacy-multi" "$d0/usr/sbin/"
for t in iptables iptables-save iptables-restore; do ln -s xtables-legacy-multi "$d0/usr/sbin/$t"; done
cp -r "$pkgs/usr/lib/x86_64-linux-gnu/xtables" "$d0/usr/lib/x86_64-linux-gnu/"
# Modules, at their package paths (dom0/init loads them in dependency order).
for m in drivers/xen/xen-evtchn drivers/xen/xen-gntdev drivers/xen/xen-gntalloc \
         drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs \
         drivers/net/xen-netback/xen-netback drivers/block/xen-blkback/xen-blkback \
         net/llc/llc net/802/stp net/bridge/bridge drivers/net/ethernet/intel/e1000/e1000 \
         crypto/crc32c_generic lib/libcrc32c net/ipv4/netfilter/nf_defrag_ipv4 \
         net/ipv6/netfilter/nf_defrag_ipv6 net/netfilter/nf_conntrack net/netfilter/nf_nat \
         net/netfilter/x_tables net/ipv4/netfilter/ip_tables net/ipv4/netfilter/iptable_nat \
         net/netfilter/xt_MASQUERADE; do
    src=$boot/lib/modules/$abi/kernel/$m.ko
    [ -f "$src" ] || die "the kernel package has no $m.ko"
    mkdir -p "$d0/lib/modules/$abi/kernel/$(dirname "$m")"
    cp "$src" "$d0/lib/modules/$abi/kernel/$m.ko"
done
# The DomUs' images: the same kernel as Domain-0's, as the ELF inside its bzImage.
# Xen's domain builder takes either; from the bzImage it would first undo the xz
# compression inside Domain-0, seconds of simulated work on every xl create.
mkdir -p "$d0/var/lib/xen/images"
python3 - "$cache/vmlinuz" "$d0/var/lib/xen/images/vmlinux" <<'PY' || die "cannot take the ELF out of $cache/vmlinuz"
# The x86 boot protocol: setup_sects at 0x1f1; the protected-mode part starts
# after (setup_sects + 1) sectors; payload_offset/length at 0x248/0x24c locate the
# compressed kernel inside it.
import lzma, struct, sys
data = open(sys.argv[1], "rb").read()
setup = (data[0x1f1] or 4) + 1
off, length = struct.unpack_from("<II", data, 0x248)
start = setup * 512 + off
payload = data[start:start + length]
if payload[:6] != b"\xfd7zXZ\x00":
    sys.exit("the payload is not xz-compressed")
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
if elf[:4] != b"\x7fELF":
    sys.exit("the payload is not an ELF file")
open(sys.argv[2], "wb").write(elf)
PY
cp "$stage/domU.cpio" "$d0/var/lib/xen/images/domU.cpio"

# 3. Every dynamic program finds all its libraries inside the tree: the loader
# lists them with the tree's folders first (and no ld.so.cache); a library found
# elsewhere, or not at all, is missing from tools/stack/dom0.packages.
loader=$pkgs/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
libpath=$d0/lib/x86_64-linux-gnu:$d0/usr/lib/x86_64-linux-gnu
missing=0
while IFS= read -r prog; do
    LC_ALL=C grep -qa /lib64/ld-linux-x86-64.so.2 "$prog" || continue   # dynamic ELF
    while read -r lib _ where _; do
        case "$where" in
            "$d0"/*) ;;
            *) echo "mkdom0: error: /${prog#$d0/} needs $lib, which no package of tools/stack/dom0.packages provides (found: ${where:-nothing})" >&2
               missing=1 ;;
        esac
    done < <("$loader" --inhibit-cache --library-path "$libpath" --list "$prog" 2>&1 |
             awk '$2 == "=>" && $1 !~ /^\// { print $1, $2, $3 }
                  /error while loading shared libraries/ { sub(/:$/, "", $7); print $7, "=>", "nothing" }')
done < <(find "$d0/bin" "$d0/sbin" "$d0/$xbin" "$d0/usr/bin" "$d0/usr/sbin" "$d0/usr/lib/x86_64-linux-gnu/xtables" -type f)
[ "$missing" -eq 0 ] || exit 1

"$here/cpio.sh" "$d0" "$out" --nod dev/console:5:1
[ -z "$domu_out" ] || cp "$stage/domU.cpio" "$domu_out"
