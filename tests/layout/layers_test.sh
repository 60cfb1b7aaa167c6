#!/usr/bin/env bash
# layers_test.sh: the tree has no upward dependency, and the check would see one
# (an include of cpu/ planted in devices/, a link of hvmachine planted in cpu/,
# an include of VT-x's headers planted in the ring model).
# usage: layers_test.sh SOURCE_DIR
set -u
src=$1
here=$(dirname "$0")
python3 "$here/layers.py" "$src" || exit 1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp -r "$src/devices" "$src/cpu" "$t/"
echo '#include "cpu/cpu.h"' >>"$t/devices/uart16550.c"
echo 'target_link_libraries(hvcpu PUBLIC hvmachine)' >>"$t/cpu/CMakeLists.txt"
echo '#include "vmx/vmcs.h"' >>"$t/cpu/msr.c"
out=$(python3 "$here/layers.py" "$t")
if [ $? -ne 1 ] || ! grep -q "devices/uart16550.c:.*includes cpu/" <<<"$out" ||
    ! grep -q "cpu/CMakeLists.txt:.*links hvmachine" <<<"$out" ||
    ! grep -q "cpu/msr.c:.*the ring model includes VT-x's vmx/vmcs.h" <<<"$out"; then
    echo "FAIL: planted upward dependencies were not reported:"
    echo "$out"
    exit 1
fi
echo "PASS: planted upward dependencies are reported"
