/* Private state of the VT-x execution model (Intel SDM vol. 3C ch. 23-28): the
 * root CPU's VMX operation, and the non-root engine each launched VMCS runs in.
 * The pure parts (VMCS layout, capability MSRs, entry checks, EPT walks) are
 * hvvmx; the files of hvvmxop put them to work on the ring model's engines,
 * whose internals (../cpu_priv.h) they use: this layer sits above cpu/. */
#ifndef CPU_VMX_PRIV_H
#define CPU_VMX_PRIV_H

#include <string.h>

#include "cpu_priv.h"
#include "vmx/ept.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_fields.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmx_caps.h"

#define VMX_MAX_GUESTS 8
#define VMX_NO_VMCS UINT64_MAX
/* Modelled cost of a VM exit plus the next entry, in cycles: within the range
 * published for real round trips (about 1,000 to 1,500). */
#define VMX_ROUND_TRIP_CYCLES_DEFAULT 1200

enum vmx_entry_kind { VMX_ENTRY_NONE, VMX_ENTRY_LAUNCH, VMX_ENTRY_RESUME };

struct vmx_guest_slot {
    uint64_t vmcs_pa;
    struct cpu *g;          /* its non-root engine, alive across exits */
    uint64_t mapped_eptp;   /* what the engine's memory map was built from */
    bool mapped;
    /* The VM-entry checks passed and no VMWRITE has touched the VMCS since but to
     * guest RIP or RSP: VMRESUME need not run them again (a model shortcut; the
     * result is the same, the checks being a function of the VMCS). */
    bool checked;
    /* The engine holds the guest state its last exit saved into the VMCS, and
     * no VMWRITE since touched more than guest RIP or RSP: VMRESUME loads only
     * those (the rest would load the same values). */
    bool engine_current;
};

/* A decoded VMX instruction, cached by address: hypervisors run the same few
 * VMREAD/VMWRITE/VMRESUME sites on every exit, and Capstone with operand
 * details costs more than the rest of the emulation. */
#define VMX_DECODE_CACHE 64
struct vmx_decoded {
    uint64_t rip, cr3;
    unsigned id;
    uint8_t size, op_count;
    bool valid, cs64, lma;
    cs_x86_op ops[2];
};

/* A root CPU's VMX operation. */
struct vmx_root {
    struct vmx_caps caps;
    bool on;                /* in VMX operation (after VMXON) */
    uint64_t vmxon_pa;
    uint64_t current;       /* current-VMCS pointer or VMX_NO_VMCS */
    enum vmx_entry_kind entry;  /* VMLAUNCH/VMRESUME decoded, the entry not yet performed */
    struct vmx_guest_slot slots[VMX_MAX_GUESTS];
    int nslots;
    uint64_t round_trip_cycles;
    csh cs64d, cs32d;       /* Capstone with operand details, for VMX operands */
    struct vmx_decoded dcache[VMX_DECODE_CACHE];
    uint64_t exits;
};

/* An exit decided inside the non-root engine, taken once it stops. */
struct vmx_exit {
    bool pending;
    uint32_t reason;
    uint64_t qualification;
    uint64_t gla, gpa;
    uint32_t intr_info, intr_error;
    uint32_t insn_len, insn_info;
    bool gla_valid;
};

/* A stretch of a platform MMIO region that the EPT maps at some guest-physical
 * address: the device sees offsets within its own region (delta added). */
#define VMX_MAX_MMIO_MAPS 32
struct vmx_mmio_map {
    const struct mmio_region *r;
    uint64_t delta;
};

/* The VMX side of a non-root engine. */
struct vmx_nonroot {
    struct vmx_mmio_map mmio_maps[VMX_MAX_MMIO_MAPS];
    int n_mmio_maps;
    struct cpu *root;
    uint64_t vmcs_pa;
    struct vmx_exit exit;
    uint64_t timer_deadline;   /* cycles; UINT64_MAX when the preemption timer is off */
    /* The engine's current control registers, to skip reloading unchanged ones. */
    uint64_t cr0, cr3, cr4, efer;
    /* The engine's ten segment and table caches as the last VM exit saved them
     * into the VMCS, valid while those VMCS fields still hold what was saved
     * (the entry since was VMRESUME's shortcut): an exit whose caches are the
     * same bytes skips saving them again. */
    uint8_t seg_image[10 * 64];
    bool seg_image_valid;
};

static inline uint8_t *vmx_vmcs(struct cpu *root, uint64_t pa) { return root->ram + pa; }

/* The model's own VMCS accesses on entry and exit, a few hundred per round trip:
 * an offset table indexed by encoding (built once from cpu/vmx's field table)
 * instead of a lookup each time. Full fields only, no read-only rule. */
extern uint16_t vmx_field_offset[0x7000];
void vmx_field_offsets_init(void);
static inline uint64_t vget(const uint8_t *vmcs, uint32_t enc)
{
    uint64_t v;
    memcpy(&v, vmcs + vmx_field_offset[enc], 8);
    return v;
}
static inline void vset(uint8_t *vmcs, uint32_t enc, uint64_t v)
{
    static const uint64_t width_mask[4] = { 0xffff, ~0ULL, 0xffffffffULL, ~0ULL }; /* 16, 64, 32, natural */
    v &= width_mask[(enc >> 13) & 3];
    memcpy(vmcs + vmx_field_offset[enc], &v, 8);
}

/* VT-x leaves the general registers (all but RSP) as they are on entry and exit. */
void vmx_copy_gprs(struct cpu *to, struct cpu *from);
/* Free a non-root engine and VT-x's side of it (vmx_entry.c). */
void vmx_guest_free(struct cpu *g);
/* The guest slot of the VMCS at pa, or NULL (vmx_entry.c). */
struct vmx_guest_slot *vmx_slot_of(struct vmx_root *v, uint64_t pa);

/* vmx_insn.c: VMX instructions executed in root operation */
void vmx_root_init(struct cpu *c);
void vmx_root_free(struct cpu *c);
bool vmx_insn_root(struct cpu *c); /* true: handled (emulated or a fault raised) */
/* A #NM Unicorn raised for INVEPT or INVVPID: true when it ran (or exited) instead. */
bool vmx_insn_nm(struct cpu *c);
/* Linear address of a decoded memory operand in c's current register state. */
uint64_t vmx_mem_linear(struct cpu *c, const cs_x86_op *op, uint64_t rip_next, bool lma);
/* Guest-physical to host-physical for a non-root engine (EPT or identity). */
bool vmx_gpa_to_hpa(struct cpu *g, uint64_t gpa, uint64_t *hpa);
int vmx_msr_read(struct cpu *c, uint32_t msr, uint64_t *val); /* 0, -1 #GP, 1 not a VMX MSR */
/* In VMX operation, MOV to CR0/CR4 must keep the fixed bits (23.8): false means #GP. */
bool vmx_root_cr_write_ok(struct cpu *c, const struct intercept_site *s);

/* vmx_snapshot.c: VMX operation and the active guest in snapshots and hashes */
int vmx_save(struct cpu *root, struct buf *out);
int vmx_load(struct cpu *root, struct buf_reader *in);
uint64_t vmx_hash(struct cpu *root, uint64_t h);

/* vmx_entry.c */
/* The non-root engine of the VMCS at pa, created if new. */
struct cpu *vmx_guest_engine(struct cpu *root, uint64_t vmcs_pa);
/* Build the engine's memory from the VMCS at pa now (snapshots). */
int vmx_remap(struct cpu *root, struct cpu *g, uint64_t vmcs_pa);
/* Enter the current VMCS's guest: 0 entered, 1 entry failed into the host (an
 * exit with bit 31), -1 the CPU shut down. */
int vmx_enter(struct cpu *root);
/* A VMWRITE, VMCLEAR or VMPTRLD changed the VMCS at pa: checks must run again. */
void vmx_vmcs_touched(struct cpu *root, uint64_t pa, uint64_t encoding);
/* The EPT of the VMCS at pa may have changed: rebuild the engine's memory on entry. */
void vmx_ept_changed(struct cpu *root, uint64_t pa);
uint64_t vmx_phys_read64(void *root, uint64_t pa); /* all-ones outside RAM */

/* vmx_exit.c */
void vmx_exit_to_root(struct cpu *root, struct cpu *g);
void vmx_load_host_state(struct cpu *root, uint8_t *vmcs);

/* vmx_nonroot.c: decisions inside the non-root engine */
bool vmx_nr_site(struct cpu *g, const struct intercept_site *s, const uint8_t *bytes);
/* The guest's RDTSCP runs (secondary control "enable RDTSCP"), else it is #UD. */
bool vmx_nr_rdtscp_enabled(struct cpu *g);
bool vmx_nr_invalid_insn(struct cpu *g);
bool vmx_nr_exception(struct cpu *g, int vector, bool soft, bool has_err, uint32_t err);
bool vmx_nr_check_events(struct cpu *g);  /* external interrupt, windows, timer */
bool vmx_nr_ept_fault(struct cpu *g, uc_mem_type type, uint64_t gpa);
/* A #PF whose guest page walk touched a guest-physical address the EPT does not
 * map: on hardware that walk exits (28.2.3); true if it did. */
bool vmx_nr_walk_fault(struct cpu *g);
void vmx_nr_exit(struct cpu *g, uint32_t reason, uint64_t qual, uint32_t insn_len);
/* The CPU idles (its guest halted) until `cycles`: the guest engine's clock,
 * which becomes the CPU's when it next runs, moves there too, but no further
 * than the VMX-preemption timer's expiry, which counts in HLT (25.5.1) and
 * ends the idling. Returns where the idling ends. */
uint64_t vmx_nr_idle_until(struct cpu *g, uint64_t cycles);

#endif
