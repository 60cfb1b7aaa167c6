#!/usr/bin/env bash
# tools/stack/cpio.sh: writes a folder as a cpio "newc" archive (an initramfs) whose
# bytes depend only on the folder's names, modes, link targets and file contents:
# entries in C-locale sorted order (a parent before its children), every mtime 0,
# owner root:root, inode numbers counted from 1, hard links stored as separate files.
# No cpio tool is needed: newc headers are ASCII hex, which bash's printf writes.
#
# usage: tools/stack/cpio.sh DIR OUT.cpio [--nod NAME:MAJOR:MINOR]...
#   --nod adds a character device NAME (relative to the archive's root, mode 0600),
#   such as dev/console, which the kernel opens for /init before any devtmpfs exists.
set -euo pipefail
usage() { echo "usage: $0 DIR OUT.cpio [--nod NAME:MAJOR:MINOR]..." >&2; exit 2; }
[ $# -ge 2 ] || usage
dir=$1 out=$2
shift 2
nods=()
while [ $# -gt 0 ]; do
    case "$1" in
        --nod) nods+=("${2:?--nod needs NAME:MAJOR:MINOR}"); shift 2 ;;
        *) usage ;;
    esac
done
[ -d "$dir" ] || { echo "cpio.sh: $dir: not a folder" >&2; exit 1; }

ino=0
# header NAME MODE SIZE RDEVMAJOR RDEVMINOR: one newc header and the padded name.
header() {
    local name=$1 mode=$2 size=$3 rmaj=$4 rmin=$5 nlink=1 namesize
    ino=$((ino + 1))
    [ $((mode & 0170000)) -eq $((0040000)) ] && nlink=2
    namesize=$(( ${#name} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$ino" "$mode" 0 0 "$nlink" 0 "$size" 0 0 "$rmaj" "$rmin" "$namesize" 0
    printf '%s\0' "$name"
    head -c $(( (4 - (110 + namesize) % 4) % 4 )) /dev/zero
}
pad() { head -c $(( (4 - $1 % 4) % 4 )) /dev/zero; }

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
    # The tree's entries and the extra device nodes, sorted together.
    {
        (cd "$dir" && find . -mindepth 1 -printf '%P\n')
        for n in "${nods[@]}"; do echo "${n%%:*}"; done
    } | LC_ALL=C sort | while IFS= read -r name; do
        nod=""
        for n in "${nods[@]}"; do [ "${n%%:*}" = "$name" ] && nod=$n; done
        if [ -n "$nod" ]; then
            IFS=: read -r _ maj min <<<"$nod"
            header "$name" $((020600)) 0 "$maj" "$min"
            continue
        fi
        path=$dir/$name
        if [ -L "$path" ]; then
            target=$(readlink "$path")
            header "$name" $((0120777)) "${#target}" 0 0
            printf '%s' "$target"
            pad "${#target}"
        elif [ -d "$path" ]; then
            header "$name" $((040000 | 0$(stat -c %a "$path"))) 0 0 0
        elif [ -f "$path" ]; then
            size=$(stat -c %s "$path")
            header "$name" $((0100000 | 0$(stat -c %a "$path"))) "$size" 0 0
            cat "$path"
            pad "$size"
        else
            echo "cpio.sh: $path: neither file, folder nor symbolic link" >&2
            exit 1
        fi
    done
    header 'TRAILER!!!' 0 0 0 0
} >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
