/* uart.c: COM1 as a polled 16550 transmitter, 115200 8N1 (NS16550A datasheet). */
#include "klib/console.h"
#include "klib/memlayout.h"
#include "klib/x86.h"

#define UART_THR  0          /* transmit holding register (DLAB = 0) */
#define UART_DLL  0          /* divisor latch, low and high (DLAB = 1) */
#define UART_DLM  1
#define UART_IER  1
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_LCR_8N1   0x03
#define UART_LCR_DLAB  0x80
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR_THRE  0x20  /* the transmit holding register can take a byte */

void serial_init(void)
{
    outb(PORT_COM1 + UART_IER, 0);                 /* polled: no UART interrupts */
    outb(PORT_COM1 + UART_LCR, UART_LCR_DLAB);
    outb(PORT_COM1 + UART_DLL, 1);                 /* 115200 / 1 */
    outb(PORT_COM1 + UART_DLM, 0);
    outb(PORT_COM1 + UART_LCR, UART_LCR_8N1);
    outb(PORT_COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
    outb(PORT_COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

void serial_putc(char c)
{
    /* Bounded: a missing UART must not hang the kernel before it can report. */
    for (int i = 0; i < 100000 && !(inb(PORT_COM1 + UART_LSR) & UART_LSR_THRE); i++)
        cpu_relax();
    outb(PORT_COM1 + UART_THR, c);
}

void kputs(const char *s)
{
    while (*s)
        serial_putc(*s++);
}
