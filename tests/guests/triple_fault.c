/* triple_fault: with an empty IDT, #UD cannot be delivered, nor the #GP that
 * follows, nor the #DF: the CPU shuts down (Intel SDM vol. 3A 6.15, interrupt 8).
 * hvsim must stop with status 3; QEMU with -no-reboot exits 0. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/test.h"

void kmain(struct multiboot_info *mbi)
{
    (void)mbi;
    test_section("triple fault");
    kprintf("loading an empty IDT and executing UD2: the machine must stop here\n");
    idt_load(0, 0);
    asm volatile("ud2");
    kprintf("FAIL: execution continued after a triple fault\n");
    hv_exit(EXIT_FAIL);
}
