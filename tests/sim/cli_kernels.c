/* Two tiny multiboot kernels for the `hvsim boot` exit-status tests: built with
 * -DSPIN it computes forever (status 4 under --max-time); otherwise it loads an
 * empty IDT and executes UD2, which must shut the CPU down (status 3). */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
#ifdef SPIN
    kprintf("cli_spin: spinning until the virtual-time limit\n");
    for (volatile unsigned long n = 0;; n++)
        ;
#else
    kprintf("cli_triple: empty IDT, then UD2\n");
    idt_load(0, 0);
    asm volatile("ud2");
    kprintf("cli_triple: still running after a triple fault\n");
    for (;;)
        ;
#endif
}
