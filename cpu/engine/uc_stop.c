/* Stopping the engine from a code hook without Unicorn's exit checks. Unicorn
 * 2.1 emits a call to its exit-request helper after every guest load and store
 * (so that a memory hook can stop the run at once), which store-heavy code pays
 * for on every access; uc_struct's no_exit_request flag, read when code is
 * translated, leaves those calls out. Block-start checks stay, so the block
 * hook still stops before a block runs; what needed the per-instruction checks
 * were our code hooks (intercept sites), which now end the run themselves the
 * way a QEMU helper raising an exception does: cpu_loop_exit_restore from the
 * hook's return address in the generated code (the hook is called from there
 * directly), which puts RIP and the lazy flags back at the hooked instruction.
 *
 * The flag's offset (0x7f2 on 2.1.4: the byte before init_done, followed by the
 * nested-run jump buffers and their level) is checked on scratch engines at
 * start-up: the bytes around it, the level seen from inside a hook, and each
 * behaviour relied on below. If anything differs the checks stay and hooks stop
 * through the API as before. The uc_exit_checks switch (HVSIM_UC_EXIT_CHECKS=1) keeps them too. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cpu_priv.h"

#define FLAG_HINT 0x7f2        /* uc_struct.no_exit_request on Unicorn 2.1.4 */
#define NESTED_LEVELS 64       /* UC_MAX_NESTED_LEVEL: the jump buffers after the flag */

static struct {
    bool known, usable;
    size_t flag_off;
    void (*loop_exit)(void *cpu);                           /* cpu_loop_exit */
    bool (*restore_state)(void *cpu, uintptr_t pc, bool will_exit); /* cpu_restore_state */
} S;

static uint8_t *flag_of(uc_engine *uc) { return (uint8_t *)uc + S.flag_off; }

/* The nested-run level, an int after the jump buffers that follow the flags. */
static int nested_level(uc_engine *uc)
{
    size_t off = (S.flag_off + 2 + 7) / 8 * 8 + NESTED_LEVELS * sizeof(sigjmp_buf);
    int v;
    memcpy(&v, (uint8_t *)uc + off, sizeof v);
    return v;
}

/* Scratch-engine probes: code at 0x1000, an MMIO page at 0x8000. */
static struct probe {
    struct cpu c;          /* just enough of a cpu for uc_stop_before/resume_at */
    int mode;              /* 0 none, 1 stop before, 2 resume after, 3 stop in the block hook */
    uint64_t at, next;
    int level;             /* nested level seen from the code hook */
    bool mmio_stop;
} P;

static void probe_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    P.level = nested_level(uc);
    if (P.mode == 1)
        uc_stop_before(&P.c, (uintptr_t)__builtin_return_address(0));
    else if (P.mode == 2)
        uc_stop_resume_at(&P.c, (uintptr_t)__builtin_return_address(0), P.next);
}

static void probe_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
    if (P.mode == 3)
        uc_emu_stop(uc);
}

static uint64_t probe_mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *user) { return 0; }
static void probe_mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
    if (P.mmio_stop)
        uc_emu_stop(uc);
}

/* mov ebx,-1; mov [0x8000],al; inc ebx; inc ebx; inc ebx; nop */
static const uint8_t probe_code_bytes[] = { 0xbb, 0xff, 0xff, 0xff, 0xff, 0x88, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00,
                                            0xff, 0xc3, 0xff, 0xc3, 0xff, 0xc3, 0x90 };
#define INC2 0x100e /* the second inc */
#define INC3 0x1010
#define END 0x1012

/* One run of the probe on a fresh engine with the flag set; RBX, RIP and
 * RFLAGS afterwards. */
static bool probe_run(uint8_t *ram, int mode, bool mmio_stop, uint64_t out[3])
{
    uc_engine *uc;
    uc_hook h1, h2;
    memset(&P, 0, sizeof P);
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
        return false;
    bool ok = uc_mem_map_ptr(uc, 0, 0x8000, UC_PROT_ALL, ram) == UC_ERR_OK &&
              uc_mmio_map(uc, 0x8000, 0x1000, probe_mmio_read, NULL, probe_mmio_write, NULL) == UC_ERR_OK;
    /* The bytes around the flag: first_tb, the flag (clear), init_done (set). */
    ok = ok && flag_of(uc)[0] == 0 && flag_of(uc)[1] == 1 && flag_of(uc)[-1] <= 1 && nested_level(uc) == 0;
    if (ok) {
        *flag_of(uc) = 1;
        P.c.uc = uc;
        P.c.exit_checks_off = true;
        ok = uc_blob_discover(&P.c) == 0 && uc_tlb_env(uc);
        P.mode = mode;
        P.mmio_stop = mmio_stop;
        P.next = INC3;
        P.c.blob_live = ok ? uc_tlb_env(uc) - P.c.blob.rax : NULL;
    }
    if (ok) {
        uc_hook_add(uc, &h1, UC_HOOK_CODE, probe_code, NULL, INC2, INC2);
        uc_hook_add(uc, &h2, UC_HOOK_BLOCK, probe_block, NULL, 1, 0);
        uc_err e = uc_emu_start(uc, 0x1000, END, 0, 0);
        ok = e == UC_ERR_OK && uc_reg_read(uc, UC_X86_REG_RBX, &out[0]) == UC_ERR_OK &&
             uc_reg_read(uc, UC_X86_REG_RIP, &out[1]) == UC_ERR_OK &&
             uc_reg_read(uc, UC_X86_REG_RFLAGS, &out[2]) == UC_ERR_OK && (mode == 3 || P.level == 1);
    }
    if (P.c.ctx)
        uc_context_free(P.c.ctx);
    uc_close(uc);
    return ok;
}

static void measure(void)
{
    S.known = true;
    unsigned major = 0, minor = 0;
    uc_version(&major, &minor);
    if (major != 2 || minor != 1)
        return;
    S.flag_off = FLAG_HINT;
    S.loop_exit = (void (*)(void *))dlsym(RTLD_DEFAULT, "cpu_loop_exit_x86_64");
    S.restore_state = (bool (*)(void *, uintptr_t, bool))dlsym(RTLD_DEFAULT, "cpu_restore_state_x86_64");
    if (!S.loop_exit || !S.restore_state)
        return;
    uint8_t *ram = aligned_alloc(4096, 0x8000);
    if (!ram)
        return;
    memset(ram, 0x90, 0x8000);
    memcpy(ram + 0x1000, probe_code_bytes, sizeof probe_code_bytes);
    uint64_t r[4][3];
    S.usable = true; /* for the probes' own stops; cleared unless all pass */
    bool ok =
        /* a store's MMIO callback stopping the run no longer stops it at once */
        probe_run(ram, 0, true, r[0]) && r[0][0] == 2 &&
        /* a code hook stops before its instruction, flags of the one before
         * (inc to 0: ZF, PF, AF) in place */
        probe_run(ram, 1, false, r[1]) && r[1][0] == 0 && r[1][1] == INC2 && (r[1][2] & 0x54) == 0x54 &&
        /* or skips it and the run goes on */
        probe_run(ram, 2, false, r[2]) && r[2][0] == 1 && r[2][1] == END &&
        /* the block hook still stops before anything runs */
        probe_run(ram, 3, false, r[3]) && r[3][1] == 0x1000 && r[3][0] == 0;
    S.usable = ok;
    free(ram);
    if (!ok)
        log_debug("cpu: Unicorn's exit checks stay on (this build differs from the one measured)");
}

void uc_stop_attach(struct cpu *c)
{
    if (!S.known)
        measure();
    c->exit_checks_off = false;
    if (c->sw.uc_exit_checks || !S.usable || !c->blob_live || !uc_tlb_cpu_object(c->uc))
        return;
    *flag_of(c->uc) = 1;
    c->exit_checks_off = true;
}

void uc_stop_checks(struct cpu *c, bool on)
{
    if (!S.usable || !c->blob_live || !uc_tlb_cpu_object(c->uc))
        return;
    *flag_of(c->uc) = on ? 0 : 1;
    c->exit_checks_off = !on;
}

void uc_stop_before(struct cpu *c, uintptr_t ret)
{
    uc_emu_stop(c->uc);
    if (!c->exit_checks_off)
        return; /* the check after the hook ends the run */
    void *cpu = uc_tlb_cpu_object(c->uc);
    S.restore_state(cpu, ret, true);
    S.loop_exit(cpu);
}

void uc_stop_resume_at(struct cpu *c, uintptr_t ret, uint64_t rip)
{
    if (!c->exit_checks_off) {
        reg_set(c, UC_X86_REG_RIP, rip); /* through the API: the run restarts there */
        return;
    }
    void *cpu = uc_tlb_cpu_object(c->uc);
    S.restore_state(cpu, ret, true); /* the lazy flags as at the instruction */
    uc_blob_set_reg(c, 16, rip);
    S.loop_exit(cpu);
}
