/* console.h: the COM1 console (16550 UART, polled transmit) and kprintf. */
#ifndef KLIB_CONSOLE_H
#define KLIB_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void serial_init(void);
void serial_putc(char c);
void kputs(const char *s);

/* printf subset: %c %s %d %i %u %x %X %p %%, flags '-', '0' and '#', a width,
 * a precision for %s, length modifiers l, ll and z. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
