/* Names for report rows: VM-exit basic reasons as in the Intel SDM vol. 3C
 * Appendix C, hypercall numbers as in Xen's public/xen.h, exception mnemonics
 * as in SDM vol. 3A table 6-1, interruption types as in SDM 24.8.3. */
#include <stddef.h>

#include "traces/report.h"

static const char *const exit_names[] = {
    [0] = "EXCEPTION_NMI",        [1] = "EXTERNAL_INTERRUPT", [2] = "TRIPLE_FAULT",
    [3] = "INIT_SIGNAL",          [4] = "SIPI",               [5] = "IO_SMI",
    [6] = "OTHER_SMI",            [7] = "INTERRUPT_WINDOW",   [8] = "NMI_WINDOW",
    [9] = "TASK_SWITCH",          [10] = "CPUID",             [11] = "GETSEC",
    [12] = "HLT",                 [13] = "INVD",              [14] = "INVLPG",
    [15] = "RDPMC",               [16] = "RDTSC",             [17] = "RSM",
    [18] = "VMCALL",              [19] = "VMCLEAR",           [20] = "VMLAUNCH",
    [21] = "VMPTRLD",             [22] = "VMPTRST",           [23] = "VMREAD",
    [24] = "VMRESUME",            [25] = "VMWRITE",           [26] = "VMXOFF",
    [27] = "VMXON",               [28] = "CR_ACCESS",         [29] = "MOV_DR",
    [30] = "IO_INSTRUCTION",      [31] = "RDMSR",             [32] = "WRMSR",
    [33] = "ENTRY_FAIL_GUEST_STATE", [34] = "ENTRY_FAIL_MSR_LOAD", [36] = "MWAIT",
    [37] = "MONITOR_TRAP_FLAG",   [39] = "MONITOR",           [40] = "PAUSE",
    [41] = "ENTRY_FAIL_MACHINE_CHECK", [43] = "TPR_BELOW_THRESHOLD", [44] = "APIC_ACCESS",
    [45] = "VIRTUALIZED_EOI",     [46] = "GDTR_IDTR_ACCESS",  [47] = "LDTR_TR_ACCESS",
    [48] = "EPT_VIOLATION",       [49] = "EPT_MISCONFIG",     [50] = "INVEPT",
    [51] = "RDTSCP",              [52] = "PREEMPTION_TIMER",  [53] = "INVVPID",
    [54] = "WBINVD",              [55] = "XSETBV",            [56] = "APIC_WRITE",
    [57] = "RDRAND",              [58] = "INVPCID",           [59] = "VMFUNC",
    [60] = "ENCLS",               [61] = "RDSEED",            [62] = "PML_FULL",
    [63] = "XSAVES",              [64] = "XRSTORS",           [65] = "PCONFIG",
    [66] = "SPP_EVENT",           [67] = "UMWAIT",            [68] = "TPAUSE",
    [69] = "LOADIWKEY",           [70] = "ENCLV",             [72] = "ENQCMD_PASID_FAIL",
    [73] = "ENQCMDS_PASID_FAIL",  [74] = "BUS_LOCK",          [75] = "INSTRUCTION_TIMEOUT",
};

static const char *const hypercall_names[] = {
    "set_trap_table", "mmu_update", "set_gdt", "stack_switch", "set_callbacks",
    "fpu_taskswitch", "sched_op_compat", "platform_op", "set_debugreg", "get_debugreg",
    "update_descriptor", NULL, "memory_op", "multicall", "update_va_mapping",
    "set_timer_op", "event_channel_op_compat", "xen_version", "console_io", "physdev_op_compat",
    "grant_table_op", "vm_assist", "update_va_mapping_otherdomain", "iret", "vcpu_op",
    "set_segment_base", "mmuext_op", "xsm_op", "nmi_op", "sched_op",
    "callback_op", "xenoprof_op", "event_channel_op", "physdev_op", "hvm_op",
    "sysctl", "domctl", "kexec_op", "tmem_op", "argo_op",
    "xenpmu_op", "dm_op", "hypfs_op", NULL, NULL, NULL, NULL, NULL,
    "arch_0", "arch_1", "arch_2", "arch_3", "arch_4", "arch_5", "arch_6", "arch_7",
};

static const char *const exception_names[] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
    "#TS", "#NP", "#SS", "#GP", "#PF", NULL, "#MF", "#AC", "#MC", "#XM",
    "#VE", "#CP",
};

static const char *const intr_type_names[] = {
    "external", NULL, "NMI", "hw-exception", "sw-interrupt", "priv-sw-exception", "sw-exception", "other",
};

#define LOOKUP(table, i) ((i) < sizeof(table) / sizeof((table)[0]) ? (table)[i] : NULL)

const char *report_exit_reason_name(uint32_t reason) { return LOOKUP(exit_names, reason & 0xffff); }
const char *report_hypercall_name(uint32_t nr) { return LOOKUP(hypercall_names, nr); }
const char *report_exception_name(uint32_t vector) { return LOOKUP(exception_names, vector); }
const char *report_interruption_type_name(uint32_t type) { return LOOKUP(intr_type_names, type); }

const char *report_domain_op_name(uint32_t op)
{
    static const char *const names[] = { "create", "destroy", "pause", "unpause", "shutdown" };
    return op < sizeof names / sizeof names[0] ? names[op] : NULL;
}

const char *report_shutdown_reason_name(uint64_t reason)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset" };
    return reason < sizeof names / sizeof names[0] ? names[reason] : NULL;
}
