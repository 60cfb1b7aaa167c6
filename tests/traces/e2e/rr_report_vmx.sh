#!/usr/bin/env bash
# rr_report_vmx.sh: the event trace of a hypervisor with a known number of VM
# exits (vmx_cpuid_loop: N CPUID exits, then one VMCALL) reports exactly those
# counts by reason, with the modelled cycles of each round trip.
# usage: rr_report_vmx.sh HVSIM VMX_CPUID_LOOP_KERNEL
. "$(dirname "$0")/rr_lib.sh"
hvsim=$1 kernel=$2
d=$rr_dir
n=1234

"$hvsim" boot "$kernel" --cmdline "n=$n mode=vmx" --trace "$d/v.hvtrace" >"$d/v.out" 2>"$d/v.err"
rr_expect_status "traced boot" $? 33
"$hvsim" report "$d/v.hvtrace" -o "$d/report.txt"
rr_expect_status "report" $? 0
rr_expect_grep "text report" "$d/report.txt" "^VM exits: $((n + 1)),"
rr_expect_grep "text report" "$d/report.txt" "^ +10 +CPUID +$n "
rr_expect_grep "text report" "$d/report.txt" "^ +18 +VMCALL +1 "
"$hvsim" report "$d/v.hvtrace" --format json -o "$d/report.json"
rr_expect_status "json report" $? 0
rr_expect_grep "json report" "$d/report.json" "\"reason\": 10, \"name\": \"CPUID\", \"entry_failure\": false, \"count\": $n,"
rr_done
