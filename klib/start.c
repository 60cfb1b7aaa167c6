/* start.c: the C half of the entry: console, descriptor tables, PICs and the
 * page allocator come up before kmain; also the boot command line. */
#include "klib/console.h"
#include "klib/desc.h"
#include "klib/kernel.h"
#include "klib/paging.h"
#include "klib/pic.h"
#include "klib/string.h"
#include "klib/test.h"

struct multiboot_info *boot_info;

void klib_start(unsigned long magic, unsigned long mbi);

void klib_start(unsigned long magic, unsigned long mbi)
{
    serial_init();
    desc_init();
    /* The firmware leaves the PICs on vectors 8-15, where IRQ0 would look like
     * a double fault: move them out of the way, every line masked. */
    pic_init();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        kprintf("klib: not booted by a multiboot loader (EAX=%lx)\n", magic);
        hv_exit(EXIT_UNEXPECTED);
    }
    boot_info = (struct multiboot_info *)mbi;
    palloc_init();
    kmain(boot_info);
    kprintf("klib: kmain returned\n");
    hv_exit(EXIT_UNEXPECTED);
}

int cmdline_has(const char *word)
{
    if (!(boot_info->flags & MULTIBOOT_INFO_CMDLINE) || !boot_info->cmdline)
        return 0;
    size_t n = strlen(word);
    const char *p = (const char *)(uintptr_t)boot_info->cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - w) == n && strncmp(w, word, n) == 0)
            return 1;
    }
    return 0;
}
