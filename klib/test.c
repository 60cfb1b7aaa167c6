/* test.c: checks, verdicts and the isa-debug-exit port of QEMU's pc machine. */
#include <stdarg.h>

#include "klib/console.h"
#include "klib/memlayout.h"
#include "klib/multiboot.h"
#include "klib/test.h"
#include "klib/x86.h"

static unsigned checks, failures;

void hv_exit(unsigned value)
{
    outl(PORT_DEBUG_EXIT, value);
    for (;;) {
        cli();
        hlt();
    }
}

int check(int ok, const char *fmt, ...)
{
    va_list ap;
    checks++;
    failures += !ok;
    kputs(ok ? "  ok   " : "  FAIL ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kputs("\n");
    return ok;
}

void test_section(const char *name)
{
    kprintf("== %s\n", name);
}

void test_finish(void)
{
    if (failures) {
        kprintf("FAIL: %u of %u checks failed\n", failures, checks);
        hv_exit(EXIT_FAIL);
    }
    kprintf("PASS: %u checks\n", checks);
    hv_exit(EXIT_PASS);
}

int tcg_quirks(void)
{
    return cmdline_has("tcg-quirks");
}
