/* The engine layer of cpu/: the only code that reaches into Unicorn 2.1's
 * insides, found at start-up by probing and never hard-coded (docs/unicorn.md):
 * the context blob's layout (uc_blob.c), the QEMU TLB and its store fast path
 * (uc_tlb.c), and the exit checks and immediate stops of code hooks
 * (uc_stop.c). Everything above uses these functions or the public API.
 * Included by cpu_priv.h, after struct cpu. */
#ifndef CPU_ENGINE_ENGINE_H
#define CPU_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct cpu;
struct seg_cache;

/* uc_blob.c: Unicorn's context layout (uc_tlb.c knows its TLB) */
int uc_blob_discover(struct cpu *c);
/* save: make the blob getters current; restore: make the setters take effect.
 * Copies of the whole context only when the live state is unknown. */
void uc_blob_save(struct cpu *c);
void uc_blob_restore(struct cpu *c);
/* Always through c->ctx, for snapshots, which keep the whole blob. */
void uc_blob_copy_out(struct cpu *c);
void uc_blob_copy_in(struct cpu *c);
uint32_t uc_blob_hflags(const struct cpu *c);
void uc_blob_set_hflags(struct cpu *c, uint32_t hf);
void uc_blob_get_seg(const struct cpu *c, enum seg_index s, struct seg_cache *out);
void uc_blob_set_seg(struct cpu *c, enum seg_index s, const struct seg_cache *sc);
/* Set CF, PF, AF, ZF, SF and OF to `flags` (the others stay) in the live
 * state, from a hook where the engine has stopped between instructions;
 * false when the layout is not known (then use the API). */
bool uc_blob_set_arith_flags(struct cpu *c, uint32_t flags);
/* LDTR, TR, GDTR, IDTR as uc_x86_mmr: in the live state when its layout is
 * known, else through the API (the same values either way). */
void uc_blob_read_mmr(struct cpu *c, int reg, uc_x86_mmr *t);
void uc_blob_write_mmr(struct cpu *c, int reg, const uc_x86_mmr *t);
/* RFLAGS and DR7 of an engine between runs (never from a hook), in place when
 * their layout is known, else through the API. Writing RFLAGS does what
 * Unicorn's API does (QEMU's cpu_load_eflags); a DR7 write goes through the
 * API when the value changes, so hardware breakpoints follow it. */
uint64_t uc_blob_rflags(struct cpu *c);
void uc_blob_set_rflags(struct cpu *c, uint64_t v);
uint64_t uc_blob_dr7(struct cpu *c);
void uc_blob_set_dr7(struct cpu *c, uint64_t v);
uint32_t uc_blob_error_code(const struct cpu *c);
bool uc_blob_exception_is_int(const struct cpu *c);
void uc_blob_reset_exception(struct cpu *c);
void uc_blob_set_reg(struct cpu *c, int index, uint64_t v); /* 0..15 = RAX..R15, 16 = RIP */
uint64_t uc_blob_get_reg(const struct cpu *c, int index);
/* Recompute CPL, CS32, SS32, CS64 and ADDSEG after CS or SS changed, as QEMU's
 * cpu_x86_load_seg_cache does. */
void uc_blob_update_seg_hflags(struct cpu *c, uint64_t cr0, bool lma);

/* uc_tlb.c: stores at full speed, by clearing Unicorn's not-dirty flag on TLB
 * entries of pages without translated code. attach: 0 (also when the layout is
 * not understood: then off), -1 out of memory. */
int uc_tlb_attach(struct cpu *c);
/* An engine's QEMU CPU object and its CPUX86State (registers first), or NULL
 * when this build's layout is not understood. */
void *uc_tlb_cpu_object(uc_engine *uc);
uint8_t *uc_tlb_env(uc_engine *uc);

/* uc_stop.c: Unicorn's exit checks after every load and store left out of
 * translations (attach, right after the engine is opened), and code hooks that
 * stop or skip their instruction at once without them. `ret` is the hook's
 * __builtin_return_address(0): hooks are called from the generated code. */
void uc_stop_attach(struct cpu *c);
void uc_stop_checks(struct cpu *c, bool on); /* back on (per-instruction hooks): the caller flushes translations */
void uc_stop_before(struct cpu *c, uintptr_t ret);
void uc_stop_resume_at(struct cpu *c, uintptr_t ret, uint64_t rip);
void uc_tlb_free(struct cpu *c);
/* From the block hook: the pages of a block that runs (skipped while it runs
 * from a page noted last: one per page number mod 4, so code calling into the
 * next page stays known). forget_page: a mapping may have changed (MOV CR,
 * INVLPG, a new run), so the next blocks note their pages again. */
void uc_tlb_note_code(struct cpu *c, uint64_t addr, uint32_t size);
void uc_tlb_forget_page(struct cpu *c);
/* RAM the engine maps without write access (a non-root engine's EPT): Unicorn
 * sends stores there to the slow path, where it checks the permission, so the
 * scan must leave those entries alone. reset: before the memory is rebuilt. */
void uc_tlb_readonly(struct cpu *c, uint64_t hpa, uint64_t size);
void uc_tlb_readonly_reset(struct cpu *c);
void uc_tlb_run_start(struct cpu *c); /* forgets them if the paging registers changed since */
/* The host bytes of RAM the engine fetches addr's code from, by its TLB's code
 * entry for the page (what it translated from), or NULL when no mode's table
 * holds one (or fast stores are off). */
const uint8_t *uc_tlb_code_host(struct cpu *c, uint64_t addr);
void uc_tlb_scan(struct cpu *c);
void uc_tlb_flushed(struct cpu *c); /* the TLB was flushed: scan soon */
bool uc_tlb_wants_resize(struct cpu *c); /* a flush could grow it (true when fast stores are off) */

/* uc_modes.c: paging-mode changes QEMU follows (LMA from LME and PG). leave:
 * from Unicorn's start state (LMA without paging) to protected mode without
 * paging, 0 or -1. load: CR0, CR3, CR4 and EFER as one state; same_modes: only
 * CR3 may differ from what the engine holds. */
int engine_leave_start_state(struct cpu *c);
void engine_load_paging(struct cpu *c, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer, bool same_modes);

#endif
