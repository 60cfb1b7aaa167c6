/* scenario_shell: a line shell on COM1 for the scenario runner's tests. It
 * prompts "> ", reads a line (halting until IRQ4 says the 16550 has data,
 * echoing what it reads as a terminal would; a line ends at "\n", "\r" — the
 * Enter key of a raw terminal, `hvsim boot --interactive` — or "\r\n"), and answers: "count" prints how many lines it
 * has read, "tsc" prints the time stamp counter, "exit N" leaves through
 * isa-debug-exit with value N (status 2N+1), anything else comes back as
 * "echo #K: LINE". The line counter is state a snapshot and a restore must keep. */
#include <stdbool.h>

#include "klib/console.h"
#include "klib/kernel.h"
#include "klib/memlayout.h"
#include "klib/pic.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/trap.h"
#include "klib/x86.h"

#define COM1 0x3f8
#define LSR_DR 0x01

static void on_irq4(struct trapframe *tf)
{
    (void)tf;
    pic_eoi(4);
}

/* Halts between keystrokes (IRQ4 on received data), so virtual time spent
 * waiting for input costs the host next to nothing. */
static char getc_com1(void)
{
    while (!(inb(COM1 + 5) & LSR_DR))
        sti_hlt();
    cli();
    return (char)inb(COM1);
}

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    char line[128];
    unsigned lines = 0;
    trap_set_handler(VEC_IRQ0 + 4, on_irq4);
    outb(COM1 + 1, 0x01);                      /* IER: received data available */
    outb(COM1 + 4, inb(COM1 + 4) | 0x08);      /* MCR: OUT2 gates IRQ4 on a PC */
    pic_unmask(4);
    kprintf("shell: ready\n");
    bool after_cr = false;
    for (;;) {
        unsigned n = 0;
        kprintf("> ");
        for (;;) {
            char c = getc_com1();
            if (c == '\n' && after_cr) {
                after_cr = false;
                continue; /* the "\n" of a "\r\n" that ended the last line */
            }
            after_cr = c == '\r';
            if (c == '\r')
                c = '\n';
            kprintf("%c", c);
            if (c == '\n')
                break;
            if (n < sizeof line - 1)
                line[n++] = c;
        }
        line[n] = '\0';
        lines++;
        if (!strcmp(line, "count")) {
            kprintf("count: %u\n", lines);
        } else if (!strcmp(line, "tsc")) {
            kprintf("tsc: %llu\n", (unsigned long long)rdtsc());
        } else if (!strncmp(line, "exit ", 5)) {
            unsigned v = 0;
            for (const char *p = line + 5; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (unsigned)(*p - '0');
            kprintf("shell: exit %u\n", v);
            hv_exit(v);
        } else {
            kprintf("echo #%u: %s\n", lines, line);
        }
    }
}
