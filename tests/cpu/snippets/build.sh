#!/bin/sh
# build.sh SRC OUT_PREFIX CC: assemble one CPU test snippet linked at CODE_BASE into
# OUT_PREFIX.bin (raw bytes to copy there) and OUT_PREFIX.sym (nm: label addresses).
set -e
src=$1 out=$2 cc=${3:-cc}
dir=$(dirname "$0")
"$cc" -m64 -c -I"$dir" -I"$dir/../../../arch/include" -o "$out.o" "$src"
ld -m elf_x86_64 -nostdlib --build-id=none -Ttext=0x100000 -e 0x100000 -o "$out.elf" "$out.o"
objcopy -O binary -j .text "$out.elf" "$out.bin"
nm "$out.elf" > "$out.sym"
