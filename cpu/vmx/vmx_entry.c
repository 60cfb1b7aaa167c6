/* VM entry (Intel SDM vol. 3C ch. 26): the checks of 26.2-26.3 (cpu/vmx/), then
 * loading the guest state into the VMCS's non-root engine, building that
 * engine's memory from the EPT (26.3.2, 28.2), and injecting the event of the
 * VM-entry interruption-information field (26.6). */
#include <string.h>

#include "base/log.h"
#include "vmx/vmx_checks.h"
#include "vmx_priv.h"

uint64_t vmx_phys_read64(void *opaque, uint64_t pa)
{
    struct cpu *root = opaque;
    uint64_t v;
    if (pa + 8 > root->ram_size)
        return ~0ULL;
    memcpy(&v, root->ram + pa, 8);
    return v;
}

struct vmx_guest_slot *vmx_slot_of(struct vmx_root *v, uint64_t pa)
{
    for (int i = 0; i < v->nslots; i++)
        if (v->slots[i].vmcs_pa == pa)
            return &v->slots[i];
    return NULL;
}

/* A non-root engine: the ring model's second engine with VT-x's side attached. */
static struct cpu *guest_new(struct cpu *root)
{
    struct vmx_nonroot *nr = calloc(1, sizeof *nr);
    struct cpu *g;

    if (!nr)
        return NULL;
    nr->root = root;
    nr->cr0 = nr->cr3 = nr->cr4 = nr->efer = ~0ULL; /* nothing loaded yet */
    g = cpu_new_guest(root, nr);
    if (!g)
        free(nr);
    return g;
}

void vmx_guest_free(struct cpu *g)
{
    struct vmx_nonroot *nr = g ? g->nr : NULL;
    cpu_free(g);
    free(nr);
}

static struct cpu *guest_engine(struct cpu *root, uint64_t vmcs_pa, struct vmx_guest_slot **slot)
{
    struct vmx_root *v = root->vmx;
    if ((*slot = vmx_slot_of(v, vmcs_pa)))
        return (*slot)->g;
    /* A new VMCS: reuse the oldest slot when all are taken. */
    int i = v->nslots < VMX_MAX_GUESTS ? v->nslots++ : 0;
    if (v->slots[i].g)
        vmx_guest_free(v->slots[i].g);
    v->slots[i] = (struct vmx_guest_slot){ .vmcs_pa = vmcs_pa };
    v->slots[i].g = guest_new(root);
    *slot = &v->slots[i];
    return v->slots[i].g;
}

struct cpu *vmx_guest_engine(struct cpu *root, uint64_t vmcs_pa)
{
    struct vmx_guest_slot *slot;
    return guest_engine(root, vmcs_pa, &slot);
}

static void unmap_all(struct cpu *g)
{
    uc_mem_region *regions;
    uint32_t n;
    if (uc_mem_regions(g->uc, &regions, &n) != UC_ERR_OK)
        return;
    for (uint32_t i = 0; i < n; i++)
        uc_mem_unmap(g->uc, regions[i].begin, regions[i].end - regions[i].begin + 1);
    uc_free(regions);
    g->n_mmio = 0;
    g->n_open_bus = 0;
    g->nr->n_mmio_maps = 0;
}

static uint64_t mmio_map_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
    const struct vmx_mmio_map *m = user;
    return m->r->rd(m->r->opaque, m->delta + off, size);
}

static void mmio_map_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *user)
{
    const struct vmx_mmio_map *m = user;
    m->r->wr(m->r->opaque, m->delta + off, val, size);
}

/* Host-physical addresses with nothing behind them float high (as in cpu/). */
static uint64_t open_bus_read(uc_engine *uc, uint64_t off, unsigned size, void *user) { return ~0ULL; }
static void open_bus_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user) {}

static void map_failed(uint64_t gpa, uint64_t size, uc_err e)
{
    log_guest("vmx: cannot map guest-physical %#llx+%#llx: %s", (unsigned long long)gpa, (unsigned long long)size,
              uc_strerror(e));
}

/* One EPT run, guest-physical [gpa, gpa + size) onto host-physical hpa: RAM
 * with the run's permissions, the platform's MMIO regions (LAPIC, I/O APIC,
 * PCI BARs) through their callbacks, and the rest as the open bus (28.2: the
 * EPT translates; what answers is the host-physical address). MMIO without
 * EPT read or write permission has no callback for that access, which Unicorn
 * then reports as unmapped: an EPT violation. */
static void map_run(struct cpu *root, struct cpu *g, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perms)
{
    uint64_t end = hpa + size;
    if (hpa < root->ram_size) {
        uint64_t n = end <= root->ram_size ? size : root->ram_size - hpa;
        uint32_t prot = ((perms & EPT_R) ? UC_PROT_READ : 0) | ((perms & EPT_W) ? UC_PROT_WRITE : 0) |
                        ((perms & EPT_X) ? UC_PROT_EXEC : 0);
        uc_err e = uc_mem_map_ptr(g->uc, gpa, n, prot, root->ram + hpa);
        if (e != UC_ERR_OK)
            map_failed(gpa, n, e);
        if (!(prot & UC_PROT_WRITE))
            uc_tlb_readonly(g, hpa, n);
        gpa += n, hpa += n;
    }
    while (hpa < end) {
        /* The MMIO region holding hpa, or the nearest one above it. */
        const struct mmio_region *in = NULL;
        uint64_t next = end;
        for (int i = 0; i < root->n_mmio; i++) {
            const struct mmio_region *r = &root->mmio[i];
            if (hpa >= r->base && hpa - r->base < r->size)
                in = r;
            else if (r->base > hpa && r->base < next)
                next = r->base;
        }
        uint64_t n = (in ? (in->base + in->size < end ? in->base + in->size : end) : next) - hpa;
        uc_err e;
        if (in && g->nr->n_mmio_maps < VMX_MAX_MMIO_MAPS) {
            struct vmx_mmio_map *m = &g->nr->mmio_maps[g->nr->n_mmio_maps++];
            *m = (struct vmx_mmio_map){ .r = in, .delta = hpa - in->base };
            e = uc_mmio_map(g->uc, gpa, n, (perms & EPT_R) ? mmio_map_read : NULL, m,
                            (perms & EPT_W) ? mmio_map_write : NULL, m);
        } else {
            e = uc_mmio_map(g->uc, gpa, n, (perms & EPT_R) ? open_bus_read : NULL, NULL,
                            (perms & EPT_W) ? open_bus_write : NULL, NULL);
        }
        if (e != UC_ERR_OK)
            map_failed(gpa, n, e);
        gpa += n, hpa += n;
    }
}

/* The engine's memory: guest-physical runs from the EPT mapped onto host RAM
 * and devices, or, without EPT, host RAM and the platform's MMIO at their own
 * addresses. */
static void build_memory(struct cpu *root, struct cpu *g, uint8_t *vmcs, struct vmx_guest_slot *slot, bool ept)
{
    uint64_t eptp = vget(vmcs, VMCS_CTRL_EPTP);
    if (slot->mapped && (!ept || slot->mapped_eptp == eptp))
        return;
    unmap_all(g);
    uc_tlb_readonly_reset(g);
    uc_ctl_flush_tb(g->uc);
    blocks_reset(g);
    if (!ept) {
        uc_mem_map_ptr(g->uc, 0, root->ram_size, UC_PROT_ALL, root->ram);
        for (int i = 0; i < root->n_mmio; i++)
            cpu_mmio_map(g, root->mmio[i].base, root->mmio[i].size, root->mmio[i].rd, root->mmio[i].wr,
                         root->mmio[i].opaque);
    } else {
        struct vmx_mem mem = { .read64 = vmx_phys_read64, .opaque = root };
        /* Every guest-physical address the advertised width allows (beyond
         * the first PML4 entry's 512 GiB); holes are skipped a table at a time. */
        const uint64_t limit = 1ULL << root->vmx->caps.maxphyaddr;
        for (uint64_t gpa = 0; gpa < limit;) {
            struct ept_run run;
            enum ept_result r = ept_walk_range(&mem, &root->vmx->caps, eptp, gpa, limit - gpa, &run);
            if (r == EPT_MISCONFIG) {
                /* A misconfigured entry leaves what it covers unmapped (accesses
                 * fault into an exit 49); walk on past its span. */
                struct ept_translation t;
                ept_translate(&mem, &root->vmx->caps, eptp, run.gpa, EPT_R, &t);
                int level = t.level >= 1 && t.level <= 4 ? t.level : 1;
                uint64_t span = 1ULL << (12 + 9 * (level - 1));
                gpa = (run.gpa & ~(span - 1)) + span;
                continue;
            }
            if (run.size == 0)
                break;
            if (r == EPT_OK && (run.perms & (EPT_R | EPT_W | EPT_X)))
                map_run(root, g, run.gpa, run.hpa, run.size, run.perms);
            gpa = run.gpa + run.size;
        }
    }
    uc_ctl_flush_tlb(g->uc); /* no translation may keep the old permissions */
    uc_tlb_forget_page(g);
    slot->mapped = true;
    slot->mapped_eptp = eptp;
}

int vmx_remap(struct cpu *root, struct cpu *g, uint64_t vmcs_pa)
{
    struct vmx_root *v = root->vmx;
    uint8_t *vmcs = vmx_vmcs(root, vmcs_pa);
    for (int i = 0; i < v->nslots; i++)
        if (v->slots[i].g == g) {
            uint32_t proc = (uint32_t)vget(vmcs, VMCS_CTRL_PROC_BASED);
            bool ept = (proc & VMX_PROC_ACTIVATE_SECONDARY) && (vget(vmcs, VMCS_CTRL_PROC_BASED2) & VMX_PROC2_ENABLE_EPT);
            build_memory(root, g, vmcs, &v->slots[i], ept);
            return 0;
        }
    return -1;
}

static void load_seg(uint8_t *vmcs, uint32_t sel, uint32_t base, uint32_t limit, uint32_t ar, struct seg_cache *sc)
{
    uint32_t a = (uint32_t)vget(vmcs, ar);
    sc->sel = (uint16_t)vget(vmcs, sel);
    sc->base = vget(vmcs, base);
    sc->limit = (uint32_t)vget(vmcs, limit);
    /* VMCS access rights -> the descriptor's high-dword layout; unusable = not present. */
    sc->flags = (a & (1u << 16)) ? 0 : ((a & 0xffu) << 8) | ((a & 0xf000u) << 8);
}

static void load_table(struct cpu *g, int reg, uint8_t *vmcs, uint32_t sel, uint32_t base, uint32_t limit, uint32_t ar)
{
    uc_x86_mmr t = { 0 };
    if (sel)
        t.selector = (uint16_t)vget(vmcs, sel);
    t.base = vget(vmcs, base);
    t.limit = (uint32_t)vget(vmcs, limit);
    if (ar) {
        uint32_t a = (uint32_t)vget(vmcs, ar);
        t.flags = (a & (1u << 16)) ? 0 : ((a & 0xffu) << 8) | ((a & 0xf000u) << 8);
    }
    uc_blob_write_mmr(g, reg, &t);
}

/* What every entry loads, and all VMRESUME loads when the engine is current
 * (vmx_guest_slot): RIP, RSP, the general registers, the SYSENTER MSRs (the
 * engine's MSR file was just reset to the root's), the activity state and the
 * interrupt shadow: blocking by STI or by MOV SS in the interruptibility state
 * holds interrupts (and the interrupt window) back for the first instruction
 * (26.6.1); the engine has one flag for both. After the caller's uc_blob_save. */
static void load_guest_rip_rsp(struct cpu *root, struct cpu *g, uint8_t *vmcs)
{
    g->msr.sysenter_cs = vget(vmcs, VMCS_GUEST_SYSENTER_CS);
    g->msr.sysenter_esp = vget(vmcs, VMCS_GUEST_SYSENTER_ESP);
    g->msr.sysenter_eip = vget(vmcs, VMCS_GUEST_SYSENTER_EIP);
    uint32_t shadow = (uc_blob_hflags(g) & ~(uint32_t)HF_INHIBIT_IRQ_MASK);
    if (vget(vmcs, VMCS_GUEST_INTERRUPTIBILITY) & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS))
        shadow |= HF_INHIBIT_IRQ_MASK;
    uc_blob_set_hflags(g, shadow);
    uc_blob_set_reg(g, 4, vget(vmcs, VMCS_GUEST_RSP));
    uc_blob_set_reg(g, 16, vget(vmcs, VMCS_GUEST_RIP));
    uc_blob_reset_exception(g);
    uc_blob_restore(g);
    vmx_copy_gprs(g, root);
    g->halted = vget(vmcs, VMCS_GUEST_ACTIVITY_STATE) == 1;
}

static void load_guest_state(struct cpu *root, struct cpu *g, uint8_t *vmcs)
{
    struct vmx_nonroot *nr = g->nr;
    nr->seg_image_valid = false; /* the VMCS may hold other segment fields now */
    uint32_t entry = (uint32_t)vget(vmcs, VMCS_CTRL_ENTRY);
    bool ia32e = entry & VMX_ENTRY_IA32E_MODE_GUEST;
    uint64_t cr0 = vget(vmcs, VMCS_GUEST_CR0), cr3 = vget(vmcs, VMCS_GUEST_CR3);
    uint64_t cr4 = vget(vmcs, VMCS_GUEST_CR4), efer;

    /* EFER: loaded, or LMA (and LME with paging) from the IA-32e mode control (26.3.2.1). */
    if (entry & VMX_ENTRY_LOAD_EFER)
        efer = vget(vmcs, VMCS_GUEST_EFER);
    else
        efer = (nr->efer & ~0x500ULL) | (ia32e ? 0x400 : 0) | (ia32e && (cr0 >> 31) ? 0x100 : 0);
    /* nr caches what the engine holds, so an unchanged CR3 costs no API call. */
    bool same = cr0 == nr->cr0 && cr4 == nr->cr4 && efer == nr->efer;
    if (!same || cr3 != nr->cr3)
        engine_load_paging(g, cr0, cr3, cr4, efer, same);
    nr->cr0 = cr0, nr->cr4 = cr4, nr->efer = efer, nr->cr3 = cr3;
    load_table(g, UC_X86_REG_GDTR, vmcs, 0, VMCS_GUEST_GDTR_BASE, VMCS_GUEST_GDTR_LIMIT, 0);
    load_table(g, UC_X86_REG_IDTR, vmcs, 0, VMCS_GUEST_IDTR_BASE, VMCS_GUEST_IDTR_LIMIT, 0);
    load_table(g, UC_X86_REG_TR, vmcs, VMCS_GUEST_TR_SELECTOR, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT,
               VMCS_GUEST_TR_AR);
    load_table(g, UC_X86_REG_LDTR, vmcs, VMCS_GUEST_LDTR_SELECTOR, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT,
               VMCS_GUEST_LDTR_AR);
    /* DR7 (and IA32_DEBUGCTL, in vmx_enter) come from the VMCS only with "load
     * debug controls"; else they stay the processor's (26.3.2.1). */
    uc_blob_set_dr7(g, (entry & VMX_ENTRY_LOAD_DEBUG_CONTROLS) ? vget(vmcs, VMCS_GUEST_DR7) : uc_blob_dr7(root));

    /* Segments with their hidden state, CPL, RSP and RIP in one context update. */
    struct seg_cache s[6];
    load_seg(vmcs, VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, &s[SEG_ES]);
    load_seg(vmcs, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR, &s[SEG_CS]);
    load_seg(vmcs, VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, &s[SEG_SS]);
    load_seg(vmcs, VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, &s[SEG_DS]);
    load_seg(vmcs, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, &s[SEG_FS]);
    load_seg(vmcs, VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, &s[SEG_GS]);
    uc_blob_save(g);
    for (int i = SEG_ES; i <= SEG_GS; i++)
        uc_blob_set_seg(g, (enum seg_index)i, &s[i]);
    uc_blob_update_seg_hflags(g, cr0, (efer_get(g) >> 10) & 1);
    load_guest_rip_rsp(root, g, vmcs);
    uc_blob_set_rflags(g, vget(vmcs, VMCS_GUEST_RFLAGS) | 2);
}

/* The event of the VM-entry interruption-information field (26.6). 0, or -1 if
 * delivering it shut the guest down (a triple fault: exit reason 2). */
static int inject(struct cpu *g, uint8_t *vmcs)
{
    uint32_t info = (uint32_t)vget(vmcs, VMCS_CTRL_ENTRY_INTR_INFO);
    if (!(info & VMX_INTR_INFO_VALID))
        return 0;
    unsigned type = (info & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT;
    int vector = (int)(info & VMX_INTR_INFO_VECTOR_MASK);
    bool has_err = info & VMX_INTR_INFO_DELIVER_ERROR_CODE;
    uint32_t err = (uint32_t)vget(vmcs, VMCS_CTRL_ENTRY_EXCEPTION_ERROR_CODE);
    enum event_kind kind = EV_EXCEPTION;

    if (type == VMX_INTR_TYPE_EXT_INTR || type == VMX_INTR_TYPE_NMI) {
        kind = EV_EXTERNAL;
    } else if (type == VMX_INTR_TYPE_SW_INTR || type == VMX_INTR_TYPE_PRIV_SW_EXCEPTION ||
               type == VMX_INTR_TYPE_SW_EXCEPTION) {
        /* Software events return past the instruction that "raised" them. */
        reg_set(g, UC_X86_REG_RIP, reg_get(g, UC_X86_REG_RIP) + vget(vmcs, VMCS_CTRL_ENTRY_INSTRUCTION_LEN));
        kind = type == VMX_INTR_TYPE_SW_INTR ? EV_SOFT_INT : EV_EXCEPTION;
    }
    g->halted = false;
    if (type == VMX_INTR_TYPE_NMI)
        g->nmi_blocked = true; /* an injected NMI blocks (virtual) NMIs as a real one does (26.6.1.2) */
    return exc_deliver(g, vector, kind, has_err, err);
}

void vmx_vmcs_touched(struct cpu *root, uint64_t pa, uint64_t encoding)
{
    if (encoding == VMCS_GUEST_RIP || encoding == VMCS_GUEST_RSP)
        return; /* their checks (canonical RIP in 64-bit code) are repeated in vmx_enter */
    struct vmx_guest_slot *slot = vmx_slot_of(root->vmx, pa);
    if (slot)
        slot->checked = slot->engine_current = false;
}

void vmx_ept_changed(struct cpu *root, uint64_t pa)
{
    struct vmx_guest_slot *slot = vmx_slot_of(root->vmx, pa);
    if (slot)
        slot->mapped = false;
}

/* The VM-entry MSR-load list (26.4): 0, or the 1-based index of the entry that
 * failed: bits 63:32 of its first quadword set; IA32_FS_BASE or IA32_GS_BASE
 * (the guest-state area loads them); an x2APIC MSR (bits 31:8 = 8); IA32_SMM_
 * MONITOR_CTL (writable only in SMM); the microcode MSRs (model-specific, as on
 * Intel parts); or a value WRMSR would refuse with #GP. IA32_TSC sets the
 * processor's TSC, which the guest then reads plus the TSC offset. */
static uint32_t load_msr_list(struct cpu *g, struct cpu *root, uint8_t *vmcs)
{
    uint32_t n = (uint32_t)vget(vmcs, VMCS_CTRL_ENTRY_MSR_LOAD_COUNT);
    uint64_t addr = vget(vmcs, VMCS_CTRL_ENTRY_MSR_LOAD_ADDR);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = addr + 16 * (uint64_t)i;
        if (e + 16 > root->ram_size)
            return i + 1;
        uint32_t msr, reserved;
        uint64_t val;
        memcpy(&msr, root->ram + e, 4);
        memcpy(&reserved, root->ram + e + 4, 4);
        memcpy(&val, root->ram + e + 8, 8);
        if (reserved || msr == MSR_IA32_FS_BASE || msr == MSR_IA32_GS_BASE || (msr >> 8) == 0x8 ||
            msr == 0x9b /* IA32_SMM_MONITOR_CTL */ || msr == 0x79 /* BIOS_UPDT_TRIG */ ||
            msr == 0x8b /* BIOS_SIGN_ID */)
            return i + 1;
        if (msr == MSR_IA32_TSC) {
            uint64_t offset = g->msr.tsc_offset - root->msr.tsc_offset; /* the VMCS's TSC offset */
            root->msr.tsc_offset = val - g->cycles;
            g->msr.tsc_offset = root->msr.tsc_offset + offset;
            continue;
        }
        if (msr_write(g, msr, val))
            return i + 1;
    }
    return 0;
}

int vmx_enter(struct cpu *root)
{
    struct vmx_root *v = root->vmx;
    uint8_t *vmcs = vmx_vmcs(root, v->current);
    enum vmx_entry_kind kind = v->entry;
    struct vmx_mem mem = { .read64 = vmx_phys_read64, .opaque = root };
    struct vmx_entry_env env = { .caps = &v->caps, .mem = &mem, .cpu_ia32e = (efer_get(root) >> 10) & 1,
                                 .current_vmcs = v->current };
    struct vmx_entry_result res;
    struct vmx_guest_slot *slot;

    v->entry = VMX_ENTRY_NONE;
    slot = vmx_slot_of(v, v->current);
    uint64_t rip = vget(vmcs, VMCS_GUEST_RIP);
    bool canonical = (uint64_t)((int64_t)(rip << 16) >> 16) == rip;
    if (slot && slot->checked && kind == VMX_ENTRY_RESUME && canonical)
        memset(&res, 0, sizeof res);
    else
        vmx_entry_check(vmcs, &env, &res);
    if (res.vm_error) {
        char why[160];
        vmx_check_format(res.fail, why, sizeof why);
        log_debug("vmx: %s fails: %s", kind == VMX_ENTRY_LAUNCH ? "VMLAUNCH" : "VMRESUME", why);
        vset(vmcs, VMCS_VM_INSTRUCTION_ERROR, res.vm_error);
        /* VMfailValid. Entered from the #UD hook the engine is mid-run, its
         * lazy flags live apart from RFLAGS: set them in place. */
        if (!root->entry_in_hook || !uc_blob_set_arith_flags(root, 0x40)) {
            uint64_t fl = (reg_get(root, UC_X86_REG_RFLAGS) & ~0x8d5ULL) | 0x40;
            reg_set(root, UC_X86_REG_RFLAGS, fl);
        }
        return 1;
    }
    if (res.exit_reason) {
        char why[160];
        vmx_check_format(res.fail, why, sizeof why);
        log_info("vmx: VM entry failed: %s", why);
        vmx_load_host_state(root, vmcs);
        vset(vmcs, VMCS_EXIT_REASON, res.exit_reason);
        vset(vmcs, VMCS_EXIT_QUALIFICATION, res.exit_qualification);
        return 1;
    }
    struct cpu *g = guest_engine(root, v->current, &slot);
    slot->checked = true;
    if (!g) {
        log_error("vmx: cannot create a non-root engine");
        return -1;
    }
    uint32_t proc = (uint32_t)vget(vmcs, VMCS_CTRL_PROC_BASED);
    bool ept = (proc & VMX_PROC_ACTIVATE_SECONDARY) && (vget(vmcs, VMCS_CTRL_PROC_BASED2) & VMX_PROC2_ENABLE_EPT);
    build_memory(root, g, vmcs, slot, ept);
    memset(&g->nr->exit, 0, sizeof g->nr->exit);
    g->nr->vmcs_pa = v->current;
    g->cycles = root->cycles + v->round_trip_cycles / 2;
    g->instructions = root->instructions;
    g->tlb_flushed_at = g->cycles;
    /* MSRs the VMCS does not switch are the CPU's own: the guest shares them. */
    g->msr = root->msr;
    g->msr.tsc_offset = root->msr.tsc_offset + ((proc & VMX_PROC_TSC_OFFSETTING) ? vget(vmcs, VMCS_CTRL_TSC_OFFSET) : 0);
    if (vget(vmcs, VMCS_CTRL_ENTRY) & VMX_ENTRY_LOAD_PAT)
        g->msr.pat = vget(vmcs, VMCS_GUEST_PAT); /* checked valid (26.3.1.1) */
    if (vget(vmcs, VMCS_CTRL_ENTRY) & VMX_ENTRY_LOAD_DEBUG_CONTROLS)
        g->msr.debugctl = vget(vmcs, VMCS_GUEST_DEBUGCTL);
    if (kind == VMX_ENTRY_RESUME && slot->engine_current && g->blob_live) {
        /* The engine's nmi_blocked is still what the exit saved in bit 3. */
        load_guest_rip_rsp(root, g, vmcs);
    } else {
        load_guest_state(root, g, vmcs);
        /* Blocking by NMI (virtual-NMI blocking with virtual NMIs), until the
         * guest's IRET (nmi_iret). */
        g->nmi_blocked = (vget(vmcs, VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_NMI) != 0;
    }
    slot->engine_current = false; /* until the exit saves the state again */
    uint32_t bad = load_msr_list(g, root, vmcs);
    if (bad) {
        vmx_load_host_state(root, vmcs);
        vset(vmcs, VMCS_EXIT_REASON, EXIT_REASON_MSR_LOADING | EXIT_REASON_ENTRY_FAILURE);
        vset(vmcs, VMCS_EXIT_QUALIFICATION, bad);
        return 1;
    }
    msr_sync_engine(g);
    if (vget(vmcs, VMCS_CTRL_PIN_BASED) & VMX_PIN_PREEMPTION_TIMER) {
        uint64_t ticks = (uint32_t)vget(vmcs, VMCS_GUEST_PREEMPTION_TIMER);
        g->nr->timer_deadline = g->cycles + (ticks << (v->caps.misc & 0x1f));
    } else {
        g->nr->timer_deadline = UINT64_MAX;
    }
    if (kind == VMX_ENTRY_LAUNCH)
        vmcs_launch_state_set(vmcs, VMCS_LAUNCH_LAUNCHED);
    root->guest = g;
    if (inject(g, vmcs))
        vmx_nr_exit(g, EXIT_REASON_TRIPLE_FAULT, 0, 0);
    return 0;
}
