/* kernel.h: what the library's entry code expects from a kernel. */
#ifndef KLIB_KERNEL_H
#define KLIB_KERNEL_H

#include "klib/multiboot.h"

/* Called by klib_start once the console, descriptors, page allocator and PICs
 * (remapped, all lines masked) are ready, on the boot stack, with interrupts
 * off. Must not return. */
void kmain(struct multiboot_info *mbi);

#endif
