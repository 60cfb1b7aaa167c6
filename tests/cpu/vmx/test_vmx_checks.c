/* Tests for the VM-entry checks: a minimal valid VMCS passes, and one mutation
 * per rule fails with that rule, its segment, and the failure the SDM gives
 * (26.2: VMfailValid 7 or 8; 26.3: exit 33 with the 26.7 qualification). */
#include <criterion/criterion.h>
#include <string.h>

#include "vmx/vmcs.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_checks.h"

#define RAM_SIZE 0x10000u
#define CURRENT_VMCS 0x5000ull
static uint8_t ram[RAM_SIZE];
static uint8_t vmcs[VMCS_REGION_SIZE];
static struct vmx_caps caps;

static uint64_t ram_read64(void *opaque, uint64_t pa)
{
    uint64_t v;
    if (pa + 8 > RAM_SIZE)
        return ~0ull;
    memcpy(&v, ram + pa, 8);
    return v;
}

static const struct vmx_mem mem = { ram_read64, NULL };

#define CS_AR_64 0xa09bu /* code, accessed, readable, S, P, L, G */
#define SS_AR 0xc093u    /* data, accessed, writable, S, P, D, G */
#define TR_AR 0x008bu    /* busy 32/64-bit TSS, P */
#define UNUSABLE 0x10000u

/* A 64-bit host launching a 64-bit guest with EPT and VPID. */
static void make_64(void)
{
    memset(vmcs, 0, sizeof vmcs);
    vmcs_set(vmcs, VMCS_CTRL_PIN_BASED, VMX_PIN_DEFAULT1);
    vmcs_set(vmcs, VMCS_CTRL_PROC_BASED, 0x04006172 | VMX_PROC_HLT_EXITING | VMX_PROC_ACTIVATE_SECONDARY);
    vmcs_set(vmcs, VMCS_CTRL_PROC_BASED2, VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID);
    vmcs_set(vmcs, VMCS_CTRL_VPID, 1);
    vmcs_set(vmcs, VMCS_CTRL_EPTP, 0x1000 | 6 | 3 << 3);
    vmcs_set(vmcs, VMCS_CTRL_EXIT, 0x36dff | VMX_EXIT_HOST_ADDR_SPACE_SIZE);
    vmcs_set(vmcs, VMCS_CTRL_ENTRY, 0x11ff | VMX_ENTRY_IA32E_MODE_GUEST | VMX_ENTRY_LOAD_EFER);

    vmcs_set(vmcs, VMCS_HOST_CR0, 0x80000031);
    vmcs_set(vmcs, VMCS_HOST_CR4, 0x2020);
    vmcs_set(vmcs, VMCS_HOST_CR3, 0x10000);
    vmcs_set(vmcs, VMCS_HOST_CS_SELECTOR, 0x08);
    vmcs_set(vmcs, VMCS_HOST_SS_SELECTOR, 0x10);
    vmcs_set(vmcs, VMCS_HOST_TR_SELECTOR, 0x18);
    vmcs_set(vmcs, VMCS_HOST_GS_BASE, 0xffff888000000000ull);
    vmcs_set(vmcs, VMCS_HOST_RIP, 0xffffffff80001000ull);
    vmcs_set(vmcs, VMCS_HOST_RSP, 0xffffffff80010000ull);

    vmcs_set(vmcs, VMCS_GUEST_CR0, 0x80000031);
    vmcs_set(vmcs, VMCS_GUEST_CR4, 0x2020);
    vmcs_set(vmcs, VMCS_GUEST_CR3, 0x20000);
    vmcs_set(vmcs, VMCS_GUEST_DR7, 0x400);
    vmcs_set(vmcs, VMCS_GUEST_EFER, EFER_LME | EFER_LMA);
    vmcs_set(vmcs, VMCS_GUEST_CS_SELECTOR, 0x08);
    vmcs_set(vmcs, VMCS_GUEST_CS_LIMIT, 0xffffffff);
    vmcs_set(vmcs, VMCS_GUEST_CS_AR, CS_AR_64);
    vmcs_set(vmcs, VMCS_GUEST_SS_SELECTOR, 0x10);
    vmcs_set(vmcs, VMCS_GUEST_SS_LIMIT, 0xffffffff);
    vmcs_set(vmcs, VMCS_GUEST_SS_AR, SS_AR);
    vmcs_set(vmcs, VMCS_GUEST_DS_AR, UNUSABLE);
    vmcs_set(vmcs, VMCS_GUEST_ES_AR, UNUSABLE);
    vmcs_set(vmcs, VMCS_GUEST_FS_AR, UNUSABLE);
    vmcs_set(vmcs, VMCS_GUEST_GS_AR, UNUSABLE);
    vmcs_set(vmcs, VMCS_GUEST_LDTR_AR, UNUSABLE);
    vmcs_set(vmcs, VMCS_GUEST_TR_SELECTOR, 0x18);
    vmcs_set(vmcs, VMCS_GUEST_TR_LIMIT, 0x67);
    vmcs_set(vmcs, VMCS_GUEST_TR_AR, TR_AR);
    vmcs_set(vmcs, VMCS_GUEST_GDTR_LIMIT, 0x27);
    vmcs_set(vmcs, VMCS_GUEST_IDTR_LIMIT, 0xfff);
    vmcs_set(vmcs, VMCS_GUEST_RIP, 0xffffffff81000000ull);
    vmcs_set(vmcs, VMCS_GUEST_RSP, 0xffffffff81100000ull);
    vmcs_set(vmcs, VMCS_GUEST_RFLAGS, 0x2);
    vmcs_set(vmcs, VMCS_LINK_POINTER, ~0ull);
}

/* A 32-bit PAE guest (still under a 64-bit host). */
static void make_pae32(void)
{
    make_64();
    vmcs_set(vmcs, VMCS_CTRL_ENTRY, 0x11ff | VMX_ENTRY_LOAD_EFER);
    vmcs_set(vmcs, VMCS_GUEST_EFER, 0);
    vmcs_set(vmcs, VMCS_GUEST_CS_AR, 0xc09b);
    vmcs_set(vmcs, VMCS_GUEST_RIP, 0x00100000);
    vmcs_set(vmcs, VMCS_GUEST_RSP, 0x00200000);
}

/* A virtual-8086 guest of a 32-bit PAE kernel. */
static void make_v86(void)
{
    make_pae32();
    for (int seg = 0; seg < 6; seg++) {
        vmcs_set(vmcs, VMCS_GUEST_ES_SELECTOR + 2 * seg, 0x1000);
        vmcs_set(vmcs, VMCS_GUEST_ES_BASE + 2 * seg, 0x10000);
        vmcs_set(vmcs, VMCS_GUEST_ES_LIMIT + 2 * seg, 0xffff);
        vmcs_set(vmcs, VMCS_GUEST_ES_AR + 2 * seg, 0xf3);
    }
    vmcs_set(vmcs, VMCS_GUEST_RIP, 0x100);
    vmcs_set(vmcs, VMCS_GUEST_RFLAGS, 0x20202);
}

enum base { BASE_64, BASE_PAE32, BASE_V86 };
enum op { SET, OR, CLR };

struct mutation {
    const char *name;
    enum base base;
    unsigned features;
    bool cpu_legacy;
    uint64_t cr4_supported_extra;
    struct {
        enum op op;
        uint32_t enc;
        uint64_t val;
    } ops[5];
    unsigned n;
    enum vmx_check want;
    enum vmx_seg seg;
};

static void prepare_ram(void)
{
    /* A region with the revision id at 0x5000 (current VMCS) and 0x6000; none
     * at 0x7000. A PDPT at 0x8000 whose entry 1 sets reserved bit 63. */
    memset(ram, 0, sizeof ram);
    uint32_t rev = VMX_REVISION_ID;
    memcpy(ram + 0x5000, &rev, 4);
    memcpy(ram + 0x6000, &rev, 4);
    uint64_t pdpte = 0x9001ull | 1ull << 63;
    memcpy(ram + 0x8008, &pdpte, 8);
}

static struct vmx_entry_result run(const struct mutation *m)
{
    static const struct vmx_entry_env proto = { &caps, &mem, true, CURRENT_VMCS };
    struct vmx_entry_env env = proto;
    struct vmx_entry_result res;

    prepare_ram();
    vmx_caps_init(&caps, m->features);
    caps.cr4_fixed1 |= m->cr4_supported_extra;
    env.cpu_ia32e = !m->cpu_legacy;
    if (m->base == BASE_64)
        make_64();
    else if (m->base == BASE_PAE32)
        make_pae32();
    else
        make_v86();
    for (unsigned i = 0; i < m->n; i++) {
        uint64_t v = vmcs_get(vmcs, m->ops[i].enc);
        if (m->ops[i].op == SET)
            v = m->ops[i].val;
        else if (m->ops[i].op == OR)
            v |= m->ops[i].val;
        else
            v &= ~m->ops[i].val;
        vmcs_set(vmcs, m->ops[i].enc, v);
    }
    vmx_entry_check(vmcs, &env, &res);
    return res;
}

#define M1(o, e, v) .ops = { { o, e, v } }, .n = 1
#define M2(o1, e1, v1, o2, e2, v2) .ops = { { o1, e1, v1 }, { o2, e2, v2 } }, .n = 2
#define M3(o1, e1, v1, o2, e2, v2, o3, e3, v3)                                   \
    .ops = { { o1, e1, v1 }, { o2, e2, v2 }, { o3, e3, v3 } }, .n = 3
#define NONE VMX_SEG_NONE
#define NONCANON 0x0000800000000000ull
#define HOST32 M2(CLR, VMCS_CTRL_EXIT, VMX_EXIT_HOST_ADDR_SPACE_SIZE, CLR, VMCS_CTRL_ENTRY, VMX_ENTRY_IA32E_MODE_GUEST)
#define INJ(type, vec) (VMX_INTR_INFO_VALID | (type) << 8 | (vec))

static const struct mutation passing[] = {
    { "valid 64-bit guest", BASE_64, .n = 0 },
    { "valid 32-bit PAE guest", BASE_PAE32, .n = 0 },
    { "valid virtual-8086 guest", BASE_V86, .n = 0 },
    { "secondary controls ignored when not activated", BASE_64,
      M3(CLR, VMCS_CTRL_PROC_BASED, VMX_PROC_ACTIVATE_SECONDARY, SET, VMCS_CTRL_PROC_BASED2, 0xffffffff,
         SET, VMCS_CTRL_VPID, 0) },
    { "unusable DS may have a high base", BASE_64, M1(SET, VMCS_GUEST_DS_BASE, 1ull << 40) },
    { "unrestricted guest in real mode", BASE_PAE32, VMX_FEAT_UNRESTRICTED_GUEST,
      M3(OR, VMCS_CTRL_PROC_BASED2, VMX_PROC2_UNRESTRICTED_GUEST, SET, VMCS_GUEST_CR0, 0x30,
         SET, VMCS_GUEST_CS_SELECTOR, 0xf000) },
    { "inject #PF with error code", BASE_64,
      M2(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 14) | VMX_INTR_INFO_DELIVER_ERROR_CODE,
         SET, VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, 0x7fff) },
    { "inject INT 0x80", BASE_64,
      M2(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(4, 0x80), SET, VMCS_CTRL_ENTRY_INSTRUCTION_LEN, 2) },
    { "HLT state woken by an external interrupt", BASE_64,
      M3(SET, VMCS_GUEST_ACTIVITY_STATE, 1, SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(0, 0x20),
         SET, VMCS_GUEST_RFLAGS, 0x202) },
    { "valid VMCS link pointer", BASE_64, M1(SET, VMCS_LINK_POINTER, 0x6000) },
    { "MSR areas with counts", BASE_64,
      M2(SET, VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 4, SET, VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, 0x7ffffffff0ull - 48) },
};

static const struct mutation failing[] = {
    /* 26.2.1.1 */
    { "pin default1 cleared", BASE_64, M1(CLR, VMCS_CTRL_PIN_BASED, 2), .want = VMX_CHECK_PIN_CTLS, .seg = NONE },
    { "posted interrupts", BASE_64, M1(OR, VMCS_CTRL_PIN_BASED, VMX_PIN_POSTED_INTERRUPTS), .want = VMX_CHECK_PIN_CTLS, .seg = NONE },
    { "monitor trap flag", BASE_64, M1(OR, VMCS_CTRL_PROC_BASED, VMX_PROC_MONITOR_TRAP_FLAG), .want = VMX_CHECK_PROC_CTLS, .seg = NONE },
    { "unrestricted guest not advertised", BASE_64, M1(OR, VMCS_CTRL_PROC_BASED2, VMX_PROC2_UNRESTRICTED_GUEST), .want = VMX_CHECK_PROC2_CTLS, .seg = NONE },
    { "CR3-target count 5", BASE_64, M1(SET, VMCS_CTRL_CR3_TARGET_COUNT, 5), .want = VMX_CHECK_CR3_TARGET_COUNT, .seg = NONE },
    { "I/O bitmap A unaligned", BASE_64, M2(OR, VMCS_CTRL_PROC_BASED, VMX_PROC_USE_IO_BITMAPS, SET, VMCS_CTRL_IO_BITMAP_A, 0x1001), .want = VMX_CHECK_IO_BITMAP_ADDR, .seg = NONE },
    { "I/O bitmap B too wide", BASE_64, M2(OR, VMCS_CTRL_PROC_BASED, VMX_PROC_USE_IO_BITMAPS, SET, VMCS_CTRL_IO_BITMAP_B, 1ull << 39), .want = VMX_CHECK_IO_BITMAP_ADDR, .seg = NONE },
    { "MSR bitmap too wide", BASE_64, M2(OR, VMCS_CTRL_PROC_BASED, VMX_PROC_USE_MSR_BITMAPS, SET, VMCS_CTRL_MSR_BITMAP, 1ull << 39), .want = VMX_CHECK_MSR_BITMAP_ADDR, .seg = NONE },
    { "virtual NMIs without NMI exiting", BASE_64, VMX_FEAT_NMI, M1(OR, VMCS_CTRL_PIN_BASED, VMX_PIN_VIRTUAL_NMIS), .want = VMX_CHECK_VIRTUAL_NMIS, .seg = NONE },
    { "NMI window without virtual NMIs", BASE_64, VMX_FEAT_NMI, M1(OR, VMCS_CTRL_PROC_BASED, VMX_PROC_NMI_WINDOW_EXITING), .want = VMX_CHECK_NMI_WINDOW, .seg = NONE },
    { "VPID 0", BASE_64, M1(SET, VMCS_CTRL_VPID, 0), .want = VMX_CHECK_VPID_ZERO, .seg = NONE },
    { "EPTP 5-level", BASE_64, M1(SET, VMCS_CTRL_EPTP, 0x1000 | 6 | 4 << 3), .want = VMX_CHECK_EPTP, .seg = NONE },
    { "unrestricted guest without EPT", BASE_64, VMX_FEAT_UNRESTRICTED_GUEST, M1(SET, VMCS_CTRL_PROC_BASED2, VMX_PROC2_UNRESTRICTED_GUEST | VMX_PROC2_ENABLE_VPID), .want = VMX_CHECK_UG_WITHOUT_EPT, .seg = NONE },
    /* 26.2.1.2 */
    { "exit load PERF_GLOBAL_CTRL", BASE_64, M1(OR, VMCS_CTRL_EXIT, VMX_EXIT_LOAD_PERF_GLOBAL_CTRL), .want = VMX_CHECK_EXIT_CTLS, .seg = NONE },
    { "save timer without timer", BASE_64, M1(OR, VMCS_CTRL_EXIT, VMX_EXIT_SAVE_PREEMPTION_TIMER), .want = VMX_CHECK_SAVE_TIMER, .seg = NONE },
    { "exit MSR-store unaligned", BASE_64, M2(SET, VMCS_CTRL_EXIT_MSR_STORE_COUNT, 1, SET, VMCS_CTRL_EXIT_MSR_STORE_ADDR, 0x1008), .want = VMX_CHECK_EXIT_MSR_STORE_ADDR, .seg = NONE },
    { "exit MSR-load area end too wide", BASE_64, M2(SET, VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 2, SET, VMCS_CTRL_EXIT_MSR_LOAD_ADDR, (1ull << 39) - 16), .want = VMX_CHECK_EXIT_MSR_LOAD_ADDR, .seg = NONE },
    /* 26.2.1.3 */
    { "entry load PERF_GLOBAL_CTRL", BASE_64, M1(OR, VMCS_CTRL_ENTRY, VMX_ENTRY_LOAD_PERF_GLOBAL_CTRL), .want = VMX_CHECK_ENTRY_CTLS, .seg = NONE },
    { "inject type 1", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(1, 0)), .want = VMX_CHECK_INJECT_TYPE, .seg = NONE },
    { "inject other event without MTF", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(7, 0)), .want = VMX_CHECK_INJECT_TYPE, .seg = NONE },
    { "inject NMI vector 3", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(2, 3)), .want = VMX_CHECK_INJECT_VECTOR, .seg = NONE },
    { "inject exception 32", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 32)), .want = VMX_CHECK_INJECT_VECTOR, .seg = NONE },
    { "inject #GP without error code", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 13)), .want = VMX_CHECK_INJECT_DELIVER_ERROR_CODE, .seg = NONE },
    { "inject #UD with error code", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 6) | VMX_INTR_INFO_DELIVER_ERROR_CODE), .want = VMX_CHECK_INJECT_DELIVER_ERROR_CODE, .seg = NONE },
    { "inject interrupt with error code", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(0, 0x20) | VMX_INTR_INFO_DELIVER_ERROR_CODE), .want = VMX_CHECK_INJECT_DELIVER_ERROR_CODE, .seg = NONE },
    { "inject bit 12", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 6) | 1 << 12), .want = VMX_CHECK_INJECT_RESERVED, .seg = NONE },
    { "inject error code bit 15", BASE_64, M2(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 13) | VMX_INTR_INFO_DELIVER_ERROR_CODE, SET, VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE, 0x8000), .want = VMX_CHECK_INJECT_ERROR_CODE, .seg = NONE },
    { "inject INT n length 0", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(4, 0x80)), .want = VMX_CHECK_INJECT_INSTRUCTION_LEN, .seg = NONE },
    { "inject INT3 length 16", BASE_64, M2(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(6, 3), SET, VMCS_CTRL_ENTRY_INSTRUCTION_LEN, 16), .want = VMX_CHECK_INJECT_INSTRUCTION_LEN, .seg = NONE },
    { "entry MSR-load unaligned", BASE_64, M2(SET, VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 1, SET, VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, 0x1004), .want = VMX_CHECK_ENTRY_MSR_LOAD_ADDR, .seg = NONE },
    /* 26.2.2 */
    { "host CR0.NE clear", BASE_64, M1(CLR, VMCS_HOST_CR0, CR0_NE), .want = VMX_CHECK_HOST_CR0, .seg = NONE },
    { "host CR4.VMXE clear", BASE_64, M1(CLR, VMCS_HOST_CR4, CR4_VMXE), .want = VMX_CHECK_HOST_CR4, .seg = NONE },
    { "host CR4.LA57 unsupported", BASE_64, M1(OR, VMCS_HOST_CR4, 1 << 12), .want = VMX_CHECK_HOST_CR4, .seg = NONE },
    { "host CR3 too wide", BASE_64, M1(SET, VMCS_HOST_CR3, 1ull << 39), .want = VMX_CHECK_HOST_CR3, .seg = NONE },
    { "host SYSENTER_ESP", BASE_64, M1(SET, VMCS_HOST_SYSENTER_ESP, NONCANON), .want = VMX_CHECK_HOST_SYSENTER, .seg = NONE },
    { "host PAT reserved type", BASE_64, M2(OR, VMCS_CTRL_EXIT, VMX_EXIT_LOAD_PAT, SET, VMCS_HOST_PAT, 0x0007040600070403ull), .want = VMX_CHECK_HOST_PAT, .seg = NONE },
    { "host EFER reserved", BASE_64, M2(OR, VMCS_CTRL_EXIT, VMX_EXIT_LOAD_EFER, SET, VMCS_HOST_EFER, 0x502), .want = VMX_CHECK_HOST_EFER_RESERVED, .seg = NONE },
    { "host EFER.LMA clear", BASE_64, M2(OR, VMCS_CTRL_EXIT, VMX_EXIT_LOAD_EFER, SET, VMCS_HOST_EFER, 0x100), .want = VMX_CHECK_HOST_EFER_LMA_LME, .seg = NONE },
    /* 26.2.3 */
    { "host DS RPL", BASE_64, M1(SET, VMCS_HOST_DS_SELECTOR, 3), .want = VMX_CHECK_HOST_SELECTOR, .seg = VMX_SEG_DS },
    { "host TR TI", BASE_64, M1(SET, VMCS_HOST_TR_SELECTOR, 0x1c), .want = VMX_CHECK_HOST_SELECTOR, .seg = VMX_SEG_TR },
    { "host CS null", BASE_64, M1(SET, VMCS_HOST_CS_SELECTOR, 0), .want = VMX_CHECK_HOST_CS_NULL, .seg = NONE },
    { "host TR null", BASE_64, M1(SET, VMCS_HOST_TR_SELECTOR, 0), .want = VMX_CHECK_HOST_TR_NULL, .seg = NONE },
    { "host SS null in 32-bit host", BASE_64, .cpu_legacy = true, M3(CLR, VMCS_CTRL_EXIT, VMX_EXIT_HOST_ADDR_SPACE_SIZE, CLR, VMCS_CTRL_ENTRY, VMX_ENTRY_IA32E_MODE_GUEST, SET, VMCS_HOST_SS_SELECTOR, 0), .want = VMX_CHECK_HOST_SS_NULL, .seg = NONE },
    { "host GDTR base", BASE_64, M1(SET, VMCS_HOST_GDTR_BASE, NONCANON), .want = VMX_CHECK_HOST_BASE, .seg = NONE },
    /* 26.2.4 */
    { "64-bit host from legacy mode", BASE_64, .cpu_legacy = true, .n = 0, .want = VMX_CHECK_HOST_ADDR_SPACE_LEGACY, .seg = NONE },
    { "32-bit host from IA-32e mode", BASE_64, HOST32, .want = VMX_CHECK_HOST_ADDR_SPACE_IA32E, .seg = NONE },
    { "32-bit host with PCIDE", BASE_64, .cpu_legacy = true, M3(CLR, VMCS_CTRL_EXIT, VMX_EXIT_HOST_ADDR_SPACE_SIZE, CLR, VMCS_CTRL_ENTRY, VMX_ENTRY_IA32E_MODE_GUEST, OR, VMCS_HOST_CR4, CR4_PCIDE), .cr4_supported_extra = CR4_PCIDE, .want = VMX_CHECK_HOST_32BIT_PCIDE, .seg = NONE },
    { "32-bit host with high RIP", BASE_64, .cpu_legacy = true, M3(CLR, VMCS_CTRL_EXIT, VMX_EXIT_HOST_ADDR_SPACE_SIZE, CLR, VMCS_CTRL_ENTRY, VMX_ENTRY_IA32E_MODE_GUEST, SET, VMCS_HOST_RIP, 1ull << 32), .want = VMX_CHECK_HOST_32BIT_RIP, .seg = NONE },
    { "64-bit host without PAE", BASE_64, M1(CLR, VMCS_HOST_CR4, CR4_PAE), .want = VMX_CHECK_HOST_64BIT_PAE, .seg = NONE },
    { "64-bit host RIP", BASE_64, M1(SET, VMCS_HOST_RIP, NONCANON), .want = VMX_CHECK_HOST_64BIT_RIP, .seg = NONE },
    /* 26.3.1.1 */
    { "guest CR0.NE clear", BASE_64, M1(CLR, VMCS_GUEST_CR0, CR0_NE), .want = VMX_CHECK_GUEST_CR0, .seg = NONE },
    { "guest real mode without unrestricted guest", BASE_PAE32, M1(SET, VMCS_GUEST_CR0, 0x30), .want = VMX_CHECK_GUEST_CR0, .seg = NONE },
    { "guest PG without PE", BASE_PAE32, VMX_FEAT_UNRESTRICTED_GUEST, M2(OR, VMCS_CTRL_PROC_BASED2, VMX_PROC2_UNRESTRICTED_GUEST, CLR, VMCS_GUEST_CR0, CR0_PE), .want = VMX_CHECK_GUEST_CR0_PG_PE, .seg = NONE },
    { "guest CR4.VMXE clear", BASE_64, M1(CLR, VMCS_GUEST_CR4, CR4_VMXE), .want = VMX_CHECK_GUEST_CR4, .seg = NONE },
    { "guest DEBUGCTL bit 2", BASE_64, M1(SET, VMCS_GUEST_DEBUGCTL, 4), .want = VMX_CHECK_GUEST_DEBUGCTL, .seg = NONE },
    { "IA-32e guest without PAE", BASE_64, M1(CLR, VMCS_GUEST_CR4, CR4_PAE), .want = VMX_CHECK_GUEST_IA32E_PG_PAE, .seg = NONE },
    { "PCIDE in 32-bit guest", BASE_PAE32, .cr4_supported_extra = CR4_PCIDE, M1(OR, VMCS_GUEST_CR4, CR4_PCIDE), .want = VMX_CHECK_GUEST_PCIDE, .seg = NONE },
    { "guest CR3 too wide", BASE_64, M1(SET, VMCS_GUEST_CR3, 1ull << 39), .want = VMX_CHECK_GUEST_CR3, .seg = NONE },
    { "guest DR7 high", BASE_64, M1(SET, VMCS_GUEST_DR7, 1ull << 32), .want = VMX_CHECK_GUEST_DR7, .seg = NONE },
    { "guest SYSENTER_EIP", BASE_64, M1(SET, VMCS_GUEST_SYSENTER_EIP, NONCANON), .want = VMX_CHECK_GUEST_SYSENTER, .seg = NONE },
    { "guest PAT type 8", BASE_64, M2(OR, VMCS_CTRL_ENTRY, VMX_ENTRY_LOAD_PAT, SET, VMCS_GUEST_PAT, 0x0807040600070406ull), .want = VMX_CHECK_GUEST_PAT, .seg = NONE },
    { "guest EFER reserved", BASE_64, M1(OR, VMCS_GUEST_EFER, 4), .want = VMX_CHECK_GUEST_EFER_RESERVED, .seg = NONE },
    { "guest EFER.LMA clear", BASE_64, M1(SET, VMCS_GUEST_EFER, EFER_LME), .want = VMX_CHECK_GUEST_EFER_LMA, .seg = NONE },
    { "guest EFER.LME clear", BASE_64, M1(SET, VMCS_GUEST_EFER, EFER_LMA), .want = VMX_CHECK_GUEST_EFER_LME, .seg = NONE },
    /* 26.3.1.2 */
    { "TR TI", BASE_64, M1(SET, VMCS_GUEST_TR_SELECTOR, 0x1c), .want = VMX_CHECK_SEG_TI, .seg = VMX_SEG_TR },
    { "usable LDTR TI", BASE_64, M2(SET, VMCS_GUEST_LDTR_AR, 0x82, SET, VMCS_GUEST_LDTR_SELECTOR, 0x2c), .want = VMX_CHECK_SEG_TI, .seg = VMX_SEG_LDTR },
    { "SS RPL differs from CS", BASE_64, M1(SET, VMCS_GUEST_SS_SELECTOR, 0x13), .want = VMX_CHECK_SEG_SS_RPL, .seg = VMX_SEG_SS },
    { "v86 base", BASE_V86, M1(SET, VMCS_GUEST_FS_BASE, 0x10010), .want = VMX_CHECK_SEG_V86_BASE, .seg = VMX_SEG_FS },
    { "FS base", BASE_64, M1(SET, VMCS_GUEST_FS_BASE, NONCANON), .want = VMX_CHECK_SEG_BASE_CANONICAL, .seg = VMX_SEG_FS },
    { "usable LDTR base", BASE_64, M2(SET, VMCS_GUEST_LDTR_AR, 0x82, SET, VMCS_GUEST_LDTR_BASE, NONCANON), .want = VMX_CHECK_SEG_BASE_CANONICAL, .seg = VMX_SEG_LDTR },
    { "CS base high", BASE_64, M1(SET, VMCS_GUEST_CS_BASE, 1ull << 32), .want = VMX_CHECK_SEG_BASE_HIGH, .seg = VMX_SEG_CS },
    { "v86 limit", BASE_V86, M1(SET, VMCS_GUEST_SS_LIMIT, 0xfffff), .want = VMX_CHECK_SEG_V86_LIMIT, .seg = VMX_SEG_SS },
    { "v86 access rights", BASE_V86, M1(SET, VMCS_GUEST_DS_AR, 0x93), .want = VMX_CHECK_SEG_V86_AR, .seg = VMX_SEG_DS },
    { "CS data type", BASE_64, M1(SET, VMCS_GUEST_CS_AR, 0xa093), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_CS },
    { "CS not accessed", BASE_64, M1(SET, VMCS_GUEST_CS_AR, 0xa09a), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_CS },
    { "SS read-only", BASE_64, M1(SET, VMCS_GUEST_SS_AR, 0xc091), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_SS },
    { "DS not accessed", BASE_64, M1(SET, VMCS_GUEST_DS_AR, 0xc092), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_DS },
    { "GS execute-only code", BASE_64, M1(SET, VMCS_GUEST_GS_AR, 0xc099), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_GS },
    { "CS S clear", BASE_64, M1(SET, VMCS_GUEST_CS_AR, 0xa08b), .want = VMX_CHECK_SEG_S, .seg = VMX_SEG_CS },
    { "CS DPL differs from SS.DPL", BASE_64, M1(SET, VMCS_GUEST_CS_AR, 0xa0fb), .want = VMX_CHECK_SEG_DPL, .seg = VMX_SEG_CS },
    { "conforming CS DPL above SS.DPL", BASE_64, M1(SET, VMCS_GUEST_CS_AR, 0xa0ff), .want = VMX_CHECK_SEG_DPL, .seg = VMX_SEG_CS },
    { "DS DPL below RPL", BASE_64, M2(SET, VMCS_GUEST_DS_AR, 0xc093, SET, VMCS_GUEST_DS_SELECTOR, 0x13), .want = VMX_CHECK_SEG_DPL, .seg = VMX_SEG_DS },
    { "SS DPL differs from RPL", BASE_64, M2(SET, VMCS_GUEST_SS_AR, 0xc0f3, SET, VMCS_GUEST_CS_AR, 0xa0fb), .want = VMX_CHECK_SEG_DPL, .seg = VMX_SEG_SS },
    { "unusable SS DPL differs from RPL", BASE_64, M2(SET, VMCS_GUEST_SS_AR, UNUSABLE | 0x60, SET, VMCS_GUEST_CS_AR, 0xa0fb), .want = VMX_CHECK_SEG_DPL, .seg = VMX_SEG_SS },
    { "CS not present", BASE_64, M1(SET, VMCS_GUEST_CS_AR, 0xa01b), .want = VMX_CHECK_SEG_P, .seg = VMX_SEG_CS },
    { "usable ES not present", BASE_64, M1(SET, VMCS_GUEST_ES_AR, 0xc013), .want = VMX_CHECK_SEG_P, .seg = VMX_SEG_ES },
    { "CS bit 8", BASE_64, M1(OR, VMCS_GUEST_CS_AR, 0x100), .want = VMX_CHECK_SEG_RESERVED, .seg = VMX_SEG_CS },
    { "SS bit 17", BASE_64, M1(OR, VMCS_GUEST_SS_AR, 1 << 17), .want = VMX_CHECK_SEG_RESERVED, .seg = VMX_SEG_SS },
    { "CS L and D", BASE_64, M1(OR, VMCS_GUEST_CS_AR, VMX_AR_DB), .want = VMX_CHECK_SEG_L_AND_D, .seg = VMX_SEG_CS },
    { "CS G with byte limit", BASE_64, M1(SET, VMCS_GUEST_CS_LIMIT, 0x12345000), .want = VMX_CHECK_SEG_G, .seg = VMX_SEG_CS },
    { "SS large limit without G", BASE_64, M1(CLR, VMCS_GUEST_SS_AR, VMX_AR_G), .want = VMX_CHECK_SEG_G, .seg = VMX_SEG_SS },
    { "TR 16-bit TSS in IA-32e", BASE_64, M1(SET, VMCS_GUEST_TR_AR, 0x83), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_TR },
    { "TR S set", BASE_64, M1(OR, VMCS_GUEST_TR_AR, VMX_AR_S), .want = VMX_CHECK_SEG_S, .seg = VMX_SEG_TR },
    { "TR not present", BASE_64, M1(CLR, VMCS_GUEST_TR_AR, VMX_AR_P), .want = VMX_CHECK_SEG_P, .seg = VMX_SEG_TR },
    { "TR G with small limit", BASE_64, M1(OR, VMCS_GUEST_TR_AR, VMX_AR_G), .want = VMX_CHECK_SEG_G, .seg = VMX_SEG_TR },
    { "TR unusable", BASE_64, M1(OR, VMCS_GUEST_TR_AR, UNUSABLE), .want = VMX_CHECK_SEG_UNUSABLE, .seg = VMX_SEG_TR },
    { "usable LDTR type", BASE_64, M1(SET, VMCS_GUEST_LDTR_AR, 0x83), .want = VMX_CHECK_SEG_TYPE, .seg = VMX_SEG_LDTR },
    { "usable LDTR reserved", BASE_64, M1(SET, VMCS_GUEST_LDTR_AR, 0x82 | 1 << 20), .want = VMX_CHECK_SEG_RESERVED, .seg = VMX_SEG_LDTR },
    /* 26.3.1.3, 26.3.1.4 */
    { "IDTR base", BASE_64, M1(SET, VMCS_GUEST_IDTR_BASE, NONCANON), .want = VMX_CHECK_GUEST_DTR_BASE, .seg = NONE },
    { "GDTR limit", BASE_64, M1(SET, VMCS_GUEST_GDTR_LIMIT, 0x10000), .want = VMX_CHECK_GUEST_DTR_LIMIT, .seg = NONE },
    { "64-bit RIP not canonical", BASE_64, M1(SET, VMCS_GUEST_RIP, NONCANON), .want = VMX_CHECK_GUEST_RIP, .seg = NONE },
    { "32-bit RIP high", BASE_PAE32, M1(SET, VMCS_GUEST_RIP, 1ull << 32), .want = VMX_CHECK_GUEST_RIP, .seg = NONE },
    { "RFLAGS bit 1 clear", BASE_64, M1(SET, VMCS_GUEST_RFLAGS, 0), .want = VMX_CHECK_GUEST_RFLAGS_RESERVED, .seg = NONE },
    { "RFLAGS bit 15", BASE_64, M1(OR, VMCS_GUEST_RFLAGS, 1 << 15), .want = VMX_CHECK_GUEST_RFLAGS_RESERVED, .seg = NONE },
    { "RFLAGS bit 22", BASE_64, M1(OR, VMCS_GUEST_RFLAGS, 1 << 22), .want = VMX_CHECK_GUEST_RFLAGS_RESERVED, .seg = NONE },
    { "RFLAGS.VM in IA-32e mode", BASE_V86, M2(OR, VMCS_CTRL_ENTRY, VMX_ENTRY_IA32E_MODE_GUEST, SET, VMCS_GUEST_EFER, EFER_LME | EFER_LMA), .want = VMX_CHECK_GUEST_RFLAGS_VM, .seg = NONE },
    { "external interrupt with IF clear", BASE_64, M1(SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(0, 0x20)), .want = VMX_CHECK_GUEST_RFLAGS_IF, .seg = NONE },
    /* 26.3.1.5 */
    { "shutdown state unsupported", BASE_64, M1(SET, VMCS_GUEST_ACTIVITY_STATE, 2), .want = VMX_CHECK_ACTIVITY_STATE, .seg = NONE },
    { "activity state 4", BASE_64, M1(SET, VMCS_GUEST_ACTIVITY_STATE, 4), .want = VMX_CHECK_ACTIVITY_STATE, .seg = NONE },
    { "HLT at CPL 3", BASE_PAE32, .ops = { { SET, VMCS_GUEST_ACTIVITY_STATE, 1 }, { SET, VMCS_GUEST_CS_SELECTOR, 0x0b }, { SET, VMCS_GUEST_CS_AR, 0xc0fb }, { SET, VMCS_GUEST_SS_SELECTOR, 0x13 }, { SET, VMCS_GUEST_SS_AR, 0xc0f3 } }, .n = 5, .want = VMX_CHECK_ACTIVITY_HLT_DPL, .seg = NONE },
    { "HLT with STI blocking", BASE_64, M3(SET, VMCS_GUEST_ACTIVITY_STATE, 1, SET, VMCS_GUEST_INTERRUPTIBILITY, 1, SET, VMCS_GUEST_RFLAGS, 0x202), .want = VMX_CHECK_ACTIVITY_BLOCKING, .seg = NONE },
    { "HLT with #UD injected", BASE_64, M2(SET, VMCS_GUEST_ACTIVITY_STATE, 1, SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(3, 6)), .want = VMX_CHECK_ACTIVITY_INJECTION, .seg = NONE },
    { "interruptibility enclave bit", BASE_64, M1(SET, VMCS_GUEST_INTERRUPTIBILITY, 1 << 4), .want = VMX_CHECK_INTR_STATE_RESERVED, .seg = NONE },
    { "interruptibility bit 5", BASE_64, M1(SET, VMCS_GUEST_INTERRUPTIBILITY, 1 << 5), .want = VMX_CHECK_INTR_STATE_RESERVED, .seg = NONE },
    { "STI and MOV SS", BASE_64, M2(SET, VMCS_GUEST_INTERRUPTIBILITY, 3, SET, VMCS_GUEST_RFLAGS, 0x202), .want = VMX_CHECK_INTR_STATE_STI_MOV_SS, .seg = NONE },
    { "STI with IF clear", BASE_64, M1(SET, VMCS_GUEST_INTERRUPTIBILITY, 1), .want = VMX_CHECK_INTR_STATE_STI_IF, .seg = NONE },
    { "interrupt under MOV SS", BASE_64, M3(SET, VMCS_GUEST_INTERRUPTIBILITY, 2, SET, VMCS_GUEST_RFLAGS, 0x202, SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(0, 0x20)), .want = VMX_CHECK_INTR_STATE_INJECTION, .seg = NONE },
    { "NMI under MOV SS", BASE_64, M2(SET, VMCS_GUEST_INTERRUPTIBILITY, 2, SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(2, 2)), .want = VMX_CHECK_INTR_STATE_INJECTION, .seg = NONE },
    { "NMI under STI", BASE_64, M3(SET, VMCS_GUEST_INTERRUPTIBILITY, 1, SET, VMCS_GUEST_RFLAGS, 0x202, SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(2, 2)), .want = VMX_CHECK_INTR_STATE_NMI_STI, .seg = NONE },
    { "SMI blocking", BASE_64, M1(SET, VMCS_GUEST_INTERRUPTIBILITY, 4), .want = VMX_CHECK_INTR_STATE_SMI, .seg = NONE },
    { "virtual NMI blocked", BASE_64, VMX_FEAT_NMI, M3(OR, VMCS_CTRL_PIN_BASED, VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS, SET, VMCS_GUEST_INTERRUPTIBILITY, 8, SET, VMCS_CTRL_ENTRY_INTR_INFO, INJ(2, 2)), .want = VMX_CHECK_INTR_STATE_VIRTUAL_NMI, .seg = NONE },
    { "pending debug bit 4", BASE_64, M1(SET, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1 << 4), .want = VMX_CHECK_PENDING_DBG_RESERVED, .seg = NONE },
    { "pending debug RTM", BASE_64, M1(SET, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1 << 16), .want = VMX_CHECK_PENDING_DBG_RESERVED, .seg = NONE },
    { "TF under MOV SS without BS", BASE_64, M2(SET, VMCS_GUEST_INTERRUPTIBILITY, 2, SET, VMCS_GUEST_RFLAGS, 0x102), .want = VMX_CHECK_PENDING_DBG_BS, .seg = NONE },
    { "BS in HLT without TF", BASE_64, M2(SET, VMCS_GUEST_ACTIVITY_STATE, 1, SET, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 1 << 14), .want = VMX_CHECK_PENDING_DBG_BS, .seg = NONE },
    { "link pointer unaligned", BASE_64, M1(SET, VMCS_LINK_POINTER, 0x6010), .want = VMX_CHECK_LINK_POINTER_ADDR, .seg = NONE },
    { "link pointer too wide", BASE_64, M1(SET, VMCS_LINK_POINTER, 1ull << 39), .want = VMX_CHECK_LINK_POINTER_ADDR, .seg = NONE },
    { "link pointer revision", BASE_64, M1(SET, VMCS_LINK_POINTER, 0x7000), .want = VMX_CHECK_LINK_POINTER_REVISION, .seg = NONE },
    { "link pointer is the current VMCS", BASE_64, M1(SET, VMCS_LINK_POINTER, CURRENT_VMCS), .want = VMX_CHECK_LINK_POINTER_CURRENT, .seg = NONE },
    /* 26.3.1.6 */
    { "PDPTE reserved bit from the VMCS", BASE_PAE32, M1(SET, VMCS_GUEST_PDPTE2, 0x3003), .want = VMX_CHECK_GUEST_PDPTE, .seg = NONE },
    { "PDPTE reserved bit from memory", BASE_PAE32, M2(CLR, VMCS_CTRL_PROC_BASED2, VMX_PROC2_ENABLE_EPT, SET, VMCS_GUEST_CR3, 0x8000), .want = VMX_CHECK_GUEST_PDPTE, .seg = NONE },
};

Test(vmx_checks, valid_vmcs_variants_pass)
{
    for (size_t i = 0; i < sizeof passing / sizeof passing[0]; i++) {
        struct vmx_entry_result res = run(&passing[i]);
        char msg[200];
        vmx_check_format(res.fail, msg, sizeof msg);
        cr_assert_eq(res.fail.check, VMX_CHECK_OK, "%s: %s", passing[i].name, msg);
        cr_assert_eq(res.vm_error, 0);
        cr_assert_eq(res.exit_reason, 0);
    }
}

Test(vmx_checks, each_mutation_fails_its_rule)
{
    bool covered[VMX_CHECK_COUNT] = { [VMX_CHECK_OK] = true };
    for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
        const struct mutation *m = &failing[i];
        struct vmx_entry_result res = run(m);
        char got[200];
        vmx_check_format(res.fail, got, sizeof got);
        cr_assert_eq(res.fail.check, m->want, "%s: got \"%s\", want \"%s\"", m->name, got,
                     vmx_check_text(m->want));
        cr_assert_eq(res.fail.seg, m->seg, "%s: segment %d", m->name, res.fail.seg);
        switch (vmx_check_class_of(m->want)) {
        case VMX_CLASS_CONTROL:
            cr_assert_eq(res.vm_error, 7, "%s", m->name);
            cr_assert_eq(res.exit_reason, 0);
            break;
        case VMX_CLASS_HOST:
            cr_assert_eq(res.vm_error, 8, "%s", m->name);
            cr_assert_eq(res.exit_reason, 0);
            break;
        default:
            cr_assert_eq(res.vm_error, 0, "%s", m->name);
            cr_assert_eq(res.exit_reason, 0x80000021u, "%s", m->name);
            break;
        }
        covered[m->want] = true;
    }
    for (int c = 0; c < VMX_CHECK_COUNT; c++)
        cr_assert(covered[c], "no mutation for rule %s", vmx_check_text((enum vmx_check)c));
}

Test(vmx_checks, entry_failure_qualifications)
{
    static const struct {
        enum vmx_check c;
        uint64_t qual;
    } q[] = {
        { VMX_CHECK_SEG_L_AND_D, ENTRY_FAIL_DEFAULT },
        { VMX_CHECK_GUEST_PDPTE, ENTRY_FAIL_PDPTE },
        { VMX_CHECK_INTR_STATE_NMI_STI, ENTRY_FAIL_NMI_STI },
        { VMX_CHECK_LINK_POINTER_REVISION, ENTRY_FAIL_VMCS_LINK_PTR },
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        for (size_t j = 0; j < sizeof failing / sizeof failing[0]; j++)
            if (failing[j].want == q[i].c) {
                struct vmx_entry_result res = run(&failing[j]);
                cr_assert_eq(res.exit_qualification, q[i].qual, "%s", failing[j].name);
            }
    cr_assert_eq(ENTRY_FAIL_PDPTE, 2);
    cr_assert_eq(ENTRY_FAIL_NMI_STI, 3);
    cr_assert_eq(ENTRY_FAIL_VMCS_LINK_PTR, 4);
}

Test(vmx_checks, controls_are_checked_before_host_before_guest)
{
    struct mutation m = { "three faults", BASE_64,
                          M3(SET, VMCS_CTRL_VPID, 0, SET, VMCS_HOST_CS_SELECTOR, 0, SET,
                             VMCS_GUEST_RFLAGS, 0) };
    cr_assert_eq(run(&m).fail.check, VMX_CHECK_VPID_ZERO);
    m.ops[0].val = 1;
    cr_assert_eq(run(&m).fail.check, VMX_CHECK_HOST_CS_NULL);
    m.ops[1].val = 8;
    cr_assert_eq(run(&m).fail.check, VMX_CHECK_GUEST_RFLAGS_RESERVED);
}

Test(vmx_checks, log_line_names_rule_segment_and_section)
{
    char buf[200];
    struct vmx_check_failure f = { VMX_CHECK_SEG_L_AND_D, VMX_SEG_CS };
    vmx_check_format(f, buf, sizeof buf);
    cr_assert_str_eq(buf, "guest CS access rights: L and D both set (SDM 26.3.1.2)");
    f = (struct vmx_check_failure){ VMX_CHECK_HOST_SELECTOR, VMX_SEG_TR };
    vmx_check_format(f, buf, sizeof buf);
    cr_assert_str_eq(buf, "host TR selector: RPL or TI set (SDM 26.2.3)");
    f = (struct vmx_check_failure){ VMX_CHECK_VPID_ZERO, VMX_SEG_NONE };
    vmx_check_format(f, buf, sizeof buf);
    cr_assert_str_eq(buf, "enable VPID set with VPID 0 (SDM 26.2.1.1)");
    cr_assert_str_eq(vmx_check_section(VMX_CHECK_GUEST_PDPTE), "26.3.1.6");
    f = (struct vmx_check_failure){ VMX_CHECK_OK, VMX_SEG_NONE };
    vmx_check_format(f, buf, sizeof buf);
    cr_assert_str_eq(buf, "no rule failed");
}
