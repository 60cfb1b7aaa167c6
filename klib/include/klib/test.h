/* test.h: the verdict of a test kernel, reported through isa-debug-exit (port
 * 0xf4): QEMU and hvsim exit with status (value << 1) | 1. tests/guests/README.md
 * documents the convention. */
#ifndef KLIB_TEST_H
#define KLIB_TEST_H

#define EXIT_PASS        0x10   /* status 33: every check passed */
#define EXIT_FAIL        0x11   /* status 35: a check failed */
#define EXIT_UNEXPECTED  0x12   /* status 37: an unexpected trap or a broken boot */

#ifndef __ASSEMBLER__

/* Writes value to the debug-exit port; halts forever if nothing is there. */
__attribute__((noreturn)) void hv_exit(unsigned value);

/* Prints "  ok  <what>" or "  FAIL <what>" and remembers failures. */
int check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a section title. */
void test_section(const char *name);
/* Prints "PASS: n checks" or "FAIL: k of n checks" and exits with the verdict. */
__attribute__((noreturn)) void test_finish(void);

/* QEMU 7.2's TCG departs from real CPUs in a few documented places; a kernel
 * booted with "tcg-quirks" on its command line tolerates exactly those. */
int tcg_quirks(void);

#endif /* __ASSEMBLER__ */
#endif
