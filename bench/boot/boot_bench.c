/* boot_bench: the compute-bound kernel of the boot benchmark. 64-bit with 4 KiB
 * pages over its whole working set; a prime sieve and a memory-copy loop, then
 * a self-check and debug-exit 0x10 (status 33). Its wall time, whole process,
 * under hvsim and QEMU TCG is what bench/boot/run.sh compares. */
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/paging.h"
#include "klib/test.h"
#include "klib/x86.h"

#define SIEVE_N       4000000        /* pi(4,000,000) = 283146 */
#define SIEVE_PRIMES  283146
#define SIEVE_ROUNDS  6
#define COPY_WORDS    (2u << 20 >> 3)   /* 2 MiB */
#define COPY_ROUNDS   40

static uint8_t composite[SIEVE_N + 1];
static uint64_t buf_a[COPY_WORDS], buf_b[COPY_WORDS];

static unsigned sieve(void)
{
    for (unsigned i = 0; i <= SIEVE_N; i++)
        composite[i] = 0;
    for (unsigned p = 2; (uint64_t)p * p <= SIEVE_N; p++)
        if (!composite[p])
            for (unsigned m = p * p; m <= SIEVE_N; m += p)
                composite[m] = 1;
    unsigned count = 0;
    for (unsigned i = 2; i <= SIEVE_N; i++)
        count += !composite[i];
    return count;
}

/* Copies a -> b -> a word by word, adding the round so the data changes. */
static uint64_t copy_loop(void)
{
    for (unsigned i = 0; i < COPY_WORDS; i++)
        buf_a[i] = i * 0x9e3779b97f4a7c15ull;
    for (unsigned r = 0; r < COPY_ROUNDS; r++) {
        uint64_t *src = r & 1 ? buf_b : buf_a, *dst = r & 1 ? buf_a : buf_b;
        for (unsigned i = 0; i < COPY_WORDS; i++)
            dst[i] = src[i] + r;
    }
    uint64_t sum = 0;
    for (unsigned i = 0; i < COPY_WORDS; i++)
        sum ^= buf_a[i] * (i | 1);
    return sum;
}

/* The same checksum computed directly: every word gained 0 + 1 + ... + 39. */
static uint64_t copy_expected(void)
{
    uint64_t added = (uint64_t)COPY_ROUNDS * (COPY_ROUNDS - 1) / 2, sum = 0;
    for (unsigned i = 0; i < COPY_WORDS; i++)
        sum ^= (i * 0x9e3779b97f4a7c15ull + added) * (i | 1);
    return sum;
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
#ifndef BENCH_LARGE_PAGES
    static struct pagetable pt;
    pt_init(&pt, PT_4LEVEL);
    pt_identity(&pt, 0, IDENTITY_MAP_END, PTE_W);
    pt_activate(&pt);
    const char *pages = "4 KiB pages";
#else
    /* The boot stub's identity map of 2 MiB pages stays in force. */
    const char *pages = "2 MiB pages";
#endif
    kprintf("boot_bench: sieve to %u x %u, copy 2 MiB x %u, %s\n", SIEVE_N, SIEVE_ROUNDS, COPY_ROUNDS, pages);

    int ok = 1;
    for (int r = 0; r < SIEVE_ROUNDS; r++)
        ok &= sieve() == SIEVE_PRIMES;
    uint64_t sum = copy_loop();
    ok &= sum == copy_expected();
    kprintf("boot_bench: %u primes, copy checksum %#llx: %s\n", SIEVE_PRIMES, (unsigned long long)sum,
            ok ? "PASS" : "FAIL");
    hv_exit(ok ? EXIT_PASS : EXIT_FAIL);
}
