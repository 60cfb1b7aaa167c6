/* Private state of the vCPU shared by the files of cpu/: the engine, the cycle
 * counter, the decoded-block cache, the Unicorn context layout and the MSR file. */
#ifndef CPU_PRIV_H
#define CPU_PRIV_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <unicorn/unicorn.h>

#include "arch/x86.h"
#include "cpu/cpu.h"

/* Offsets into a saved uc_context blob, measured at start-up (uc_blob.c). */
struct uc_blob_layout {
    size_t size;
    size_t rax, rip, hflags, segs, seg_stride;   /* segs: ES cache, then CS, SS, DS, FS, GS */
    size_t cr0;                                  /* CR0, (CR1), CR2, CR3, CR4 follow in 8 bytes each */
    size_t efer;
    bool tables;        /* LDTR, TR, GDTR, IDTR caches follow the six segments (QEMU's order) */
    size_t cc_src;      /* QEMU's lazy arithmetic flags; CC_OP 16 bytes on */
    bool cc_known;
    size_t eflags, df;  /* RFLAGS as a stopped engine keeps it whole; QEMU's direction flag (+1/-1) */
    bool eflags_known;  /* both found, and a stopped engine's eflags matched the API's RFLAGS */
    size_t dr7;
    bool dr7_known;
    size_t seg_sel, seg_base, seg_limit, seg_flags; /* within one segment cache */
    size_t error_code, exception_is_int, old_exception;
};

/* QEMU's hidden-flags bits (target/i386/cpu.h), which Unicorn keeps in the blob. */
#define HF_CPL_MASK 0x3u
#define HF_INHIBIT_IRQ_MASK (1u << 3)
#define HF_CS32_MASK (1u << 4)
#define HF_SS32_MASK (1u << 5)
#define HF_ADDSEG_MASK (1u << 6)
#define HF_PE_MASK (1u << 7)
#define HF_TS_MASK (1u << 11)
#define HF_LMA_MASK (1u << 14)
#define HF_CS64_MASK (1u << 15)

enum seg_index { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS,
                 SEG_LDTR, SEG_TR, SEG_GDTR, SEG_IDTR }; /* QEMU keeps these four after the six */

/* A segment's hidden part as QEMU caches it: flags are the descriptor's high
 * dword masked with 0x00f0ff00, limit already scaled by granularity. */
struct seg_cache {
    uint16_t sel;
    uint64_t base;
    uint32_t limit;
    uint32_t flags;
};

/* Segment-descriptor flags (DESC_*_MASK, the descriptor's high doubleword as
 * QEMU keeps it in seg_cache.flags): arch/x86.h. */

/* One translated block as we have seen it. */
struct block_entry {
    uint64_t addr;
    uint32_t size;    /* 0 marks an empty slot */
    uint32_t icount;
};

struct block_cache {
    struct block_entry *slots;
    size_t mask, used;
};

/* An instruction we intercept by address (RDMSR, WRMSR, IN, OUT, INS, OUTS). */
enum site_kind {
    SITE_RDMSR, SITE_WRMSR, SITE_IO,
    /* only in non-root engines, where they may cause VM exits */
    SITE_CPUID, SITE_HLT, SITE_RDTSC, SITE_INVLPG, SITE_MOVCR, SITE_MOVDR, SITE_MONITOR, SITE_MWAIT,
    /* root engines: IRET ends NMI blocking (nmi.c) */
    SITE_IRET,
    /* both: instructions that would read host state or state not modelled (guard.c) */
    SITE_GUARD,
    /* non-root engines: INVD exits unconditionally (25.1.2), RDTSCP follows
     * "enable RDTSCP" and "RDTSC exiting"; after SITE_GUARD because snapshots
     * store the kinds by number: new kinds go at the end */
    SITE_INVD, SITE_RDTSCP,
    SITE_KIND_LAST = SITE_RDTSCP,
};
struct intercept_site {
    uint64_t addr;
    uint8_t kind, len;
    uint8_t io_size;  /* 1, 2 or 4 */
    int32_t io_port;  /* immediate port, or -1 for DX */
    bool io_in, io_string, io_rep;
    uint8_t cr, gpr;  /* MOV CR/DR: control or debug register and general register numbers */
    bool to_cr;       /* MOV to CR/DR (else from) */
    struct cpu *cpu;
};

struct site_table {
    struct intercept_site **slots;
    size_t mask, used;
};

/* MSRs kept by the model (the rest live in Unicorn or in the platform). */
struct msr_file {
    uint64_t tsc_offset;
    uint64_t pat, mtrr_def_type, mtrr_fixed[11], mtrr_var[16], misc_enable, tsc_aux;
    uint64_t feature_control, mcg_status;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t star, lstar, cstar, fmask;
    uint64_t debugctl;
};

/* An exception Unicorn reported, waiting to be delivered by the ring model. */
struct pending_exc {
    bool valid;
    int vector;
    bool soft;           /* INT n, INT3, INTO: DPL check, RIP already after it */
    bool has_err;
    uint32_t err;
    bool from_unicorn;   /* take the error code from the engine */
    bool at_rip;         /* raised mid-instruction: fault at `rip`, RAX back to `rax` */
    uint64_t rip, rax;
};

enum pending_op { OP_NONE, OP_SYSCALL, OP_SYSENTER };

#define CPU_MAX_MMIO 16
struct mmio_region {
    struct cpu *cpu;
    uint64_t base, size;
    cpu_mmio_read_fn *rd;
    cpu_mmio_write_fn *wr;
    void *opaque;
};

/* Spin-loop fast-forward (ffwd.c). */
#define FFWD_PATH_MAX 16
#define FFWD_SLOTS_MAX 8
enum ffwd_phase { FF_IDLE, FF_RECORD, FF_VERIFY, FF_PROBE };
struct ffwd_block {
    uint64_t addr;
    uint32_t size;
};
struct ffwd {
    enum ffwd_phase phase;
    uint64_t recent[4];        /* blocks of the last polling instructions */
    unsigned nrecent;
    uint32_t hits;             /* polling instructions in a row from those blocks */
    uint64_t head;             /* the loop's head block: iterations start there */
    uint64_t avoid;            /* a head whose probes failed: arm elsewhere in the loop */
    uint64_t tsc_block;        /* the block of the loop's RDTSC, 0 if none seen */
    uint32_t since_tsc;        /* polling instructions since that RDTSC */
    int nb;                    /* head entries seen while recording */
    struct ffwd_block path[FFWD_PATH_MAX], cur[FFWD_PATH_MAX];
    unsigned npath, ncur;
    bool it_bad;               /* this iteration made an access that is not repeatable */
    uint64_t it_until;         /* this iteration: cycles when an input read may change */
    bool checked;              /* the loop's instructions were checked (path_checked) */
    bool live[17];             /* GPRs (and RFLAGS, [16]) the loop reads before writing: they carry over */
    uint64_t until;
    uint64_t prev[17], prev_cycles, prev_insns; /* at the last head entry: GPRs, RFLAGS */
    uint64_t delta[17], L, I;  /* per iteration: register steps, cycles, instructions */
    uint64_t base[17], base_cycles, base_insns, j; /* the probe: skipped from here, j iterations */
    bool rollback;
    int64_t slots[FFWD_SLOTS_MAX]; /* stack slots an iteration writes, from RSP at the head */
    uint8_t slot_val[FFWD_SLOTS_MAX][8]; /* their bytes at the probe's start */
    unsigned nslots;
    int word;                  /* stack slot size: 8, 4 or 2 */
    csh cs[3];                 /* Capstone with operand details: 16-, 32-, 64-bit code */
};

struct cpu {
    uc_engine *uc;
    csh cs16, cs32, cs64;
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t hz;
    uint32_t apic_id;
    struct cpu_platform plat;
    struct cpu_switches sw;

    /* Read by the block hook on every block: kept together. */
    uint64_t cycles;       /* see cpu_cycles() */
    uint64_t instructions;
    uint64_t stop_cycles;  /* the block hook stops the engine once cycles reach it */
    uint64_t block_start;    /* address of the block running now (hook_block) */
    union {
        struct {
            bool irq_watch;       /* an interrupt waits for IF: check at each block */
            bool irq_after_block; /* interrupt shadow: let one block run, then watch */
            bool nr_watch;        /* non-root: an interrupt window waits for IF */
            bool ff_rec;          /* a polling loop is watched (ffwd.c) */
        };
        uint32_t block_watch; /* any of them: the block hook takes its slow path */
    };
    struct block_cache blocks;
    struct {                  /* fast stores (uc_tlb.c) */
        uint8_t *env;         /* the engine's live CPU state; NULL when off */
        uint8_t *code_pages;  /* a bit per RAM page that has held translated code */
        uint8_t *cleared_pages; /* and per RAM page whose entries a scan ever cleared */
        uint8_t *readonly_pages; /* and per RAM page the engine maps without write access (EPT), or NULL */
        uint64_t next_scan, period; /* cycles */
        int mode;             /* the MMU mode whose table held the last block's page */
        uint64_t last_page[4]; /* pages noted since a mapping last could change, by page number mod 4 */
        uint64_t paging[4];   /* CR0, CR3, CR4, EFER when they were noted (uc_tlb_run_start) */
        uint64_t scans, cleared;
    } tlb;

    uint64_t limit;        /* the limit of the current cpu_run */
    uint64_t tlb_flushed_at; /* cycles at the last TLB flush (vcpu.c) */
    uint64_t tlb_period;     /* cycles from one periodic TLB flush to the next */
    bool ept_fault;        /* non-root: a page walk met a guest-physical address */
    uint64_t ept_fault_gpa; /* that the EPT does not map (pagewalk.c) */
    bool stop_requested;
    bool retranslate;      /* new intercepts: the engine must drop and retranslate */
    bool halted;
    bool hook_stopped;     /* our hook stopped the engine (else it was HLT) */
    bool kicked;           /* cpu_kick: return to the machine at the next boundary */
    bool entry_in_hook;    /* vmx_enter called from the #UD hook, the engine mid-run */
    bool nested_off;       /* HVSIM_VMX_NO_NESTED_RUN: VM entries only from the run loop */
    bool entry_error;      /* a VM entry from the hook could not create its engine */
    bool exit_checks_off;  /* translations leave out Unicorn's per-access exit checks (uc_stop.c) */
    bool nmi_pending;      /* an NMI taken from the platform, not yet delivered (nmi.c) */
    bool nmi_blocked;      /* an NMI handler runs: NMIs wait for the next IRET */
    bool nmi_one_block;    /* an NMI waits out a MOV SS / STI shadow: stop after one block */

    struct pending_exc exc;
    enum pending_op op;

    struct uc_blob_layout blob;
    uc_context *ctx;
    uint8_t *blob_live;       /* the engine's state seen through the blob layout (uc_tlb.c), or NULL */
    struct site_table sites;
    struct msr_file msr;
    struct msr_file msr_in_engine; /* what msr_sync_engine last wrote */
    uint32_t cpuid_native[0x20][4]; /* native leaves 0..0x1f, sub-leaf 0 */
    uint32_t cpuid_native_ext[0x10][4];

    /* VT-x, a layer above this one (cpu/vmx/), reached only through vmx_ops;
     * the ring model tests these two pointers for NULL and nothing more. */
    const struct cpu_vmx_ops *vmx_ops; /* NULL: the CPU has no VT-x (vmx_attach) */
    struct vmx_root *vmx;     /* VMX operation of a root CPU */
    struct vmx_nonroot *nr;   /* set in a non-root engine: its VMCS and pending exit */
    struct cpu *guest;        /* a root CPU in VMX non-root operation: the engine that runs */

    struct {                  /* instruction trace window (insn_trace.c) */
        uint64_t from, to;
        cpu_insn_fn *fn;
        void *opaque;
        uc_hook hook;
        bool on;
    } itrace;


    struct ffwd ff;

    struct cpu_fault last_fault;
    struct cpu_stats stats;
    uc_hook h_block, h_intr, h_invalid, h_in, h_out, h_cpuid, h_rdtsc, h_rdtscp, h_syscall, h_sysenter, h_unmapped;
    struct mmio_region mmio[CPU_MAX_MMIO];
    int n_mmio;
    uint64_t open_bus_regions[64];
    int n_open_bus;
};

struct vmx_root;
struct vmx_nonroot;

/* A non-root engine stopped for a VM exit: never leaves cpu/. */
#define CPU_EXIT_VMEXIT ((enum cpu_exit)100)

/* vcpu.c: a second engine sharing the root's RAM, platform and identity (VT-x
 * runs each guest in one); the caller makes it a non-root engine. */
struct cpu *cpu_new_guest(struct cpu *root, struct vmx_nonroot *nr);

/* What the ring model asks of VT-x (cpu/vmx/ fills the table: vmx_attach). The
 * ring model calls these only where the CPU has VT-x (c->vmx_ops), root
 * entries only on a root CPU (c->vmx), nr_ entries only in a non-root engine
 * (c->nr). One-way: cpu/vmx/ uses this folder's internals, never the reverse. */
struct cpu_vmx_ops {
    /* A root CPU. */
    void (*free)(struct cpu *c);                 /* its VMX state and guest engines */
    bool (*insn_root)(struct cpu *c);            /* a #UD: a VMX instruction, handled (true) */
    bool (*insn_nm)(struct cpu *c);              /* a #NM QEMU raised for INVEPT/INVVPID: handled */
    bool (*entry_pending)(const struct cpu *c);  /* VMLAUNCH/VMRESUME decoded, entry not yet made */
    int (*enter)(struct cpu *c);                 /* 0 entered, 1 failed into the host, -1 shutdown */
    void (*exit_to_root)(struct cpu *c, struct cpu *g); /* g stopped for a VM exit */
    int (*msr_read)(struct cpu *c, uint32_t msr, uint64_t *val); /* 0, -1 #GP, 1 not VT-x's */
    bool (*cr_write_ok)(struct cpu *c, const struct intercept_site *s); /* false: #GP */
    int (*save)(struct cpu *c, struct buf *out); /* the VMX section of a snapshot */
    int (*load)(struct cpu *c, struct buf_reader *in);
    uint64_t (*hash)(struct cpu *c, uint64_t h);
    /* A non-root engine. */
    bool (*nr_gpa_to_hpa)(struct cpu *g, uint64_t gpa, uint64_t *hpa);
    bool (*nr_site)(struct cpu *g, const struct intercept_site *s, const uint8_t *bytes);
    bool (*nr_rdtscp_enabled)(struct cpu *g);
    bool (*nr_invalid_insn)(struct cpu *g);
    bool (*nr_exception)(struct cpu *g, int vector, bool soft, bool has_err, uint32_t err);
    bool (*nr_check_events)(struct cpu *g);
    bool (*nr_ept_fault)(struct cpu *g, uc_mem_type type, uint64_t gpa);
    bool (*nr_walk_fault)(struct cpu *g);
    void (*nr_exit)(struct cpu *g, uint32_t reason, uint64_t qual, uint32_t insn_len);
    bool (*nr_exit_pending)(const struct cpu *g);
    uint64_t (*nr_timer_deadline)(const struct cpu *g); /* cycles; UINT64_MAX: off */
    uint64_t (*nr_idle_until)(struct cpu *g, uint64_t cycles);
};
/* The snapshot section of a CPU without VT-x: what VT-x writes when VMXON never ran. */
#define CPU_VMX_SNAPSHOT_MAGIC 0x48565658u /* "HVVX" */

/* engine/: the only code that knows Unicorn's insides (its context blob, its
 * TLB, its exit checks and stop mechanism); engine/engine.h says what it offers. */
#include "engine/engine.h"

/* mmu.c: linear-to-physical translation as the CPU's page walker does it */
struct pw_ctx {
    uint64_t cr0, cr3, cr4, efer;
};
enum pw_access { PW_READ = 0, PW_WRITE = 1, PW_FETCH = 2 };
/* #PF error-code bits PF_*: arch/x86.h. */
void pw_ctx_read(struct cpu *c, struct pw_ctx *m);
/* 0 and *phys, or -1 and the #PF error code in *pf_err. */
int pw_translate(struct cpu *c, const struct pw_ctx *m, uint64_t lin, enum pw_access acc,
                  bool user, uint64_t *phys, uint32_t *pf_err);
/* Copy between host and linear memory as a supervisor access. 0, or -1 with the
 * faulting linear address and #PF error code. */
int pw_read(struct cpu *c, const struct pw_ctx *m, uint64_t lin, void *buf, size_t n,
             uint64_t *fault_lin, uint32_t *pf_err);
int pw_write(struct cpu *c, const struct pw_ctx *m, uint64_t lin, const void *buf, size_t n,
              uint64_t *fault_lin, uint32_t *pf_err);

/* exception.c: the ring model's event delivery */
enum event_kind { EV_EXCEPTION, EV_SOFT_INT, EV_EXTERNAL };
/* Deliver through the IDT with the SDM's double- and triple-fault rules.
 * Returns 0, or -1 when the CPU shut down (triple fault). */
int exc_deliver(struct cpu *c, int vector, enum event_kind kind, bool has_err, uint32_t err);
bool exc_has_error_code(int vector);
/* Load CS (and SS when ss != NULL) with new hidden state, RIP, RSP and RFLAGS
 * in one context update; resets Unicorn's exception bookkeeping too. */
void exc_switch_context(struct cpu *c, const struct seg_cache *cs, const struct seg_cache *ss,
                        uint64_t rip, uint64_t rsp, uint64_t rflags);
/* Read a segment descriptor from the GDT; 0 or -1 (outside the limit / LDT). */
int exc_read_descriptor(struct cpu *c, const struct pw_ctx *m, uint16_t sel, struct seg_cache *out,
                        uint32_t *raw_hi);

/* realmode.c: delivery through the real-mode IVT. 0, or -1 for the #GP of a
 * vector beyond the IDTR limit. */
int rm_deliver(struct cpu *c, int vec, enum event_kind kind);

/* nmi.c: NMI delivery (vector 2, blocked until the next IRET) */
/* Take what the platform latched; deliver it when not blocked. Returns 1
 * delivered, 0 not now, -1 shutdown. */
int nmi_take(struct cpu *c);
static inline bool nmi_deliverable(const struct cpu *c) { return c->nmi_pending && !c->nmi_blocked; }
/* From the IRET site hook, before the IRET executes. */
void nmi_iret(struct cpu *c);

/* guard.c: RDRAND, RDSEED, RDPMC, XSETBV, XGETBV, MOV CR8 and the MOV CR0/CR4
 * checks, from their site hooks before they run. Returns 1 when the
 * instruction raised a fault (cpu_raise: stop before it), 2 when it was
 * emulated (skip it), 0 when it runs natively. */
bool guard_insn(unsigned capstone_id);
int guard_site(struct cpu *c, const struct intercept_site *s, const uint8_t *bytes);

/* ioperm.c */
bool ioperm_allowed(struct cpu *c, uint16_t port, unsigned size);

/* msr.c */
void msr_init(struct cpu *c);
int msr_read(struct cpu *c, uint32_t msr, uint64_t *val);   /* 0 or -1 (#GP) */
int msr_write(struct cpu *c, uint32_t msr, uint64_t val);
uint64_t msr_tsc(const struct cpu *c);
/* Push the model's SYSCALL/SYSENTER MSRs into the engine where they differ. */
void msr_sync_engine(struct cpu *c);

/* insn_trace.c: arm, disarm and bound the instruction-trace hook around cpu_run */
uint64_t insn_trace_step(struct cpu *c, uint64_t stop);

/* XSAVE state components the model offers (CPUID.0xD, XSETBV): x87 and SSE only.
 * Unicorn's model lists AVX state (XCR0 bit 2) but its TCG has no AVX. */
#define CPU_XCR0_SUPPORTED 0x3ULL

/* cpuid.c */
void cpuid_init(struct cpu *c);
void cpuid_query(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* syscall.c */
void syscall_do(struct cpu *c);
void sysenter_do(struct cpu *c);

/* intercept.c: the decoded-block cache and intercepts by address */
int blocks_init(struct cpu *c);
void blocks_free(struct cpu *c);
void blocks_reset(struct cpu *c); /* forget every decoded block */
const struct block_entry *blocks_lookup(struct cpu *c, uint64_t addr, uint32_t size);
/* Decodes from `block` to find the instruction that ends at `end`: its start,
 * or 0 when the bytes there do not decode to one. */
uint64_t blocks_insn_ending_at(struct cpu *c, uint64_t block, uint64_t end);
/* The block cache's hash of (address, size); probed from there, never by a
 * pointer. Cheap rather than thorough (no multiply: it runs for every block):
 * nearby blocks land in nearby slots, and a block found past its home slot is
 * moved there (blocks_lookup). */
static inline uint64_t block_hash(uint64_t a, uint64_t b)
{
    return a ^ (a >> 13) ^ (b << 7);
}

/* blocks_lookup's first probe, inlined in the block hook: most blocks hit it.
 * NULL when it misses; then blocks_lookup, which may decode (and so set
 * c->retranslate). */
static inline const struct block_entry *blocks_probe(const struct cpu *c, uint64_t addr, uint32_t size)
{
    const struct block_entry *e = &c->blocks.slots[block_hash(addr, size) & c->blocks.mask];
    return e->addr == addr && e->size == size ? e : NULL;
}

/* ffwd.c: spin-loop fast-forward */
void ffwd_hit(struct cpu *c, bool tsc);   /* IN and RDTSC hooks: a polling instruction */
void ffwd_io(struct cpu *c, uint16_t port, unsigned size, bool write, uint32_t val); /* while ff_rec */
void ffwd_mmio(struct cpu *c);            /* while ff_rec */
int ffwd_block(struct cpu *c, uint64_t addr, uint32_t size); /* block hook, ff_rec: 1 stops the engine */
bool ffwd_after_run(struct cpu *c);       /* the engine stopped: true when a probe was undone */
void ffwd_reset(struct cpu *c);
void ffwd_free(struct cpu *c);

/* The decoded blocks and intercept sites in a snapshot (intercept.c). */
void blocks_save(struct cpu *c, struct buf *out);
int blocks_load(struct cpu *c, struct buf_reader *in);

/* Unicorn's ids of the 16 general registers in x86 encoding order (ModRM,
 * REX): RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15. */
extern const int gpr_uc[16];

/* Index 0..15 (RAX..R15, encoding order) of a 64-bit general register, or -1. */
static inline int gpr_index(int r)
{
    switch (r) {
    case UC_X86_REG_RAX: return 0;
    case UC_X86_REG_RCX: return 1;
    case UC_X86_REG_RDX: return 2;
    case UC_X86_REG_RBX: return 3;
    case UC_X86_REG_RSP: return 4;
    case UC_X86_REG_RBP: return 5;
    case UC_X86_REG_RSI: return 6;
    case UC_X86_REG_RDI: return 7;
    case UC_X86_REG_R8: return 8;
    case UC_X86_REG_R9: return 9;
    case UC_X86_REG_R10: return 10;
    case UC_X86_REG_R11: return 11;
    case UC_X86_REG_R12: return 12;
    case UC_X86_REG_R13: return 13;
    case UC_X86_REG_R14: return 14;
    case UC_X86_REG_R15: return 15;
    default: return -1;
    }
}

/* Offset in the blob of segment cache s (enum seg_index). */
static inline size_t uc_blob_seg_off(const struct cpu *c, enum seg_index s)
{
    return c->blob.segs + (size_t)s * c->blob.seg_stride;
}
/* An 8-byte field of the live state at a blob offset (c->blob_live set). */
static inline uint64_t *live_u64(const struct cpu *c, size_t off) { return (uint64_t *)(c->blob_live + off); }
/* FS or GS base: the segment cache's base is what the MSRs show (QEMU). */
static inline uint64_t *live_seg_base(const struct cpu *c, int r)
{
    return live_u64(c, uc_blob_seg_off(c, r == UC_X86_REG_FS_BASE ? SEG_FS : SEG_GS) + c->blob.seg_base);
}

/* Registers: the 64-bit general registers, FS and GS bases (and reads of RIP, CR0-CR4, CS, SS) straight from the
 * live state when it is known, where Unicorn's API would do the same copy at
 * ten times the cost; everything else through the API, which keeps QEMU's
 * derived state (flags, hidden CR effects, a RIP write ending the block). */
static inline uint64_t reg_get(struct cpu *c, int r)
{
    uint64_t v = 0;
    if (c->blob_live) {
        int i = gpr_index(r);
        if (i >= 0)
            return live_u64(c, c->blob.rax)[i];
        switch (r) {
        case UC_X86_REG_RIP: return *live_u64(c, c->blob.rip);
        case UC_X86_REG_CR0: return *live_u64(c, c->blob.cr0);
        case UC_X86_REG_CR2: return *live_u64(c, c->blob.cr0 + 16);
        case UC_X86_REG_CR3: return *live_u64(c, c->blob.cr0 + 24);
        case UC_X86_REG_CR4: return *live_u64(c, c->blob.cr0 + 32);
        case UC_X86_REG_CS: /* selectors from the segment caches */
            return *(const uint16_t *)(c->blob_live + uc_blob_seg_off(c, SEG_CS) + c->blob.seg_sel);
        case UC_X86_REG_SS:
            return *(const uint16_t *)(c->blob_live + uc_blob_seg_off(c, SEG_SS) + c->blob.seg_sel);
        case UC_X86_REG_FS_BASE:
        case UC_X86_REG_GS_BASE: return *live_seg_base(c, r);
        }
    }
    uc_reg_read(c->uc, r, &v);
    return v;
}
static inline void reg_set(struct cpu *c, int r, uint64_t v)
{
    int i;
    if (c->blob_live && (i = gpr_index(r)) >= 0)
        live_u64(c, c->blob.rax)[i] = v;
    else if (c->blob_live && (r == UC_X86_REG_FS_BASE || r == UC_X86_REG_GS_BASE))
        *live_seg_base(c, r) = v;
    else
        uc_reg_write(c->uc, r, &v);
}
uint64_t efer_get(struct cpu *c);

/* Raise an exception from a hook: recorded and delivered once the engine stops. */
void cpu_raise(struct cpu *c, int vector, bool has_err, uint32_t err);

#endif
