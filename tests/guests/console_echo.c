/* console_echo: reads one line from COM1 (polling the 16550's data-ready bit),
 * prints it back with its length and checksum, and passes. It needs console
 * input (hvsim boot --console-input), so it is not in kernels.txt; the record
 * and replay test of console input boots it (tests/traces/e2e/rr_input.sh). */
#include "arch/pc.h"
#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/test.h"
#include "klib/x86.h"

#define LSR_DR 0x01

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    char line[128];
    unsigned n = 0, sum = 0;
    uint64_t first = 0;
    kprintf("console_echo: type a line\n");
    while (n < sizeof line - 1) {
        while (!(inb(COM1_PORT + 5) & LSR_DR))
            cpu_relax();
        char c = (char)inb(COM1_PORT);
        if (n == 0)
            first = rdtsc(); /* when input arrived shows: a replay must match it */
        if (c == '\n')
            break;
        line[n++] = c;
        sum = sum * 31 + (unsigned char)c;
    }
    line[n] = '\0';
    kprintf("console_echo: read %u bytes \"%s\", checksum %#x, first at TSC %llu\n", n, line, sum,
            (unsigned long long)first);
    hv_exit(n ? EXIT_PASS : EXIT_FAIL);
}
