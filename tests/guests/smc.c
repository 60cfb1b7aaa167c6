/* smc: code that is rewritten runs its new bytes, whichever virtual address
 * wrote them (Intel SDM vol. 3A 11.6, "Self-Modifying Code"; cross-modifying
 * code through an alias is the same page to the CPU). The pages are first used
 * as plain data for a long while, so hvsim's fast-store path (cpu/uc_tlb.c)
 * has cleared its slow-path flag on them before any code lands there; the
 * rewrites then go through the same address, through a second mapping of the
 * page, and from code on the page itself. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

#define ALIAS_VA 0x40000000ull  /* a second mapping of the alias page */
#define ROUNDS 200
#define BUSY 20000              /* stores between writing code and running it */

typedef unsigned (*fn_t)(void);

static volatile uint32_t sink[1024];

/* Many stores to one page: virtual time passes, and hvsim scans its TLB. */
static void busy(volatile uint8_t *page)
{
    for (unsigned i = 0; i < BUSY; i++) {
        page[(i * 64) & 4095] = (uint8_t)i;
        sink[i & 1023] = i;
    }
}

/* "mov eax, imm32; ret" at p. */
static void emit_return(volatile uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;
    p[1] = (uint8_t)imm;
    p[2] = (uint8_t)(imm >> 8);
    p[3] = (uint8_t)(imm >> 16);
    p[4] = (uint8_t)(imm >> 24);
    p[5] = 0xc3;
}

static unsigned call_at(uintptr_t va) { return ((fn_t)va)(); }

/* The page is data, then code written and run through va_write and va_run,
 * rewritten ROUNDS times, sometimes right away, sometimes after busy work. */
static void rewrites(const char *what, volatile uint8_t *va_write, uintptr_t va_run)
{
    unsigned bad = 0;
    busy(va_write); /* a long life as data first */
    memset((void *)va_write, 0xcc, 4096);  /* INT3 wherever a stale jump would land */
    for (unsigned r = 1; r <= ROUNDS; r++) {
        unsigned at = (r * 40) % 3000;
        emit_return(va_write + at, 1000 + r);
        if (r % 3 == 0)
            busy((volatile uint8_t *)sink);
        unsigned got = call_at(va_run + at);
        emit_return(va_write + at, 5000 + r); /* the same place again, run at once */
        unsigned again = call_at(va_run + at);
        if ((got != 1000 + r || again != 5000 + r) && bad++ < 3)
            kprintf("  %s round %u: ran %u then %u, expected %u then %u\n", what, r, got, again, 1000 + r,
                    5000 + r);
    }
    check(bad == 0, "%s: %u rewrites ran their new bytes", what, 2 * ROUNDS);
}

/* Code that patches its own immediate, one page: "mov eax, [rip-relative]"-free
 * form: the caller passes where the immediate lives. */
static void self_patch(volatile uint8_t *page)
{
    /* mov byte [rdi], sil ; mov eax, imm32 ; ret  -- rdi points at imm's low byte.
     * 32-bit: mov ecx,[esp+4] ; mov edx,[esp+8] ; mov [ecx], dl ; mov eax, imm32 ; ret */
#ifdef __x86_64__
    static const uint8_t code[] = { 0x40, 0x88, 0x37, 0xb8, 0, 0, 0, 0, 0xc3 };
    const unsigned imm = 4;
#else
    static const uint8_t code[] = { 0x8b, 0x4c, 0x24, 0x04, 0x8b, 0x54, 0x24, 0x08, 0x88, 0x11,
                                    0xb8, 0, 0, 0, 0, 0xc3 };
    const unsigned imm = 11;
#endif
    unsigned bad = 0;
    busy(page);
    memcpy((void *)page, code, sizeof code);
    typedef unsigned (*patch_fn)(volatile uint8_t *, unsigned);
    patch_fn f = (patch_fn)(uintptr_t)page;
    for (unsigned r = 1; r <= ROUNDS; r++) {
        /* The store lands in the instruction right after it: the CPU must run
         * the new immediate (the SDM's serialising guarantee for the same
         * linear address as the store). */
        unsigned got = f(page + imm, r & 0xff);
        if (got != (r & 0xff) && bad++ < 3)
            kprintf("  self-patch round %u: got %u\n", r, got);
    }
    check(bad == 0, "code patching its own next instruction runs the patch (%u times)", ROUNDS);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    static struct pagetable pt;
    pt_init(&pt, PT_WIDE);
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W);
    uint8_t *same = palloc(), *alias = palloc(), *patch = palloc();
    pt_map(&pt, ALIAS_VA, (uintptr_t)alias, SIZE_4K, PTE_W);
    pt_activate(&pt);

    test_section("rewritten code runs its new bytes");
    rewrites("same address", same, (uintptr_t)same);
    rewrites("written through an alias", alias, (uintptr_t)ALIAS_VA);
    rewrites("written through the alias's other side", (volatile uint8_t *)(uintptr_t)ALIAS_VA,
             (uintptr_t)alias);
    self_patch(patch);
    test_finish();
}
