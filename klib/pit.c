/* pit.c: 8254 channel 0 (Intel 8254 datasheet: control word at port 0x43). */
#include "klib/memlayout.h"
#include "klib/pit.h"
#include "klib/x86.h"

#define PIT_CH0      PORT_PIT
#define PIT_CONTROL  (PORT_PIT + 3)
#define PIT_SEL_CH0  0x00
#define PIT_LATCH    0x00     /* counter latch command (access bits 00) */
#define PIT_LOHI     0x30     /* access low byte then high byte */
#define PIT_MODE2    0x04     /* rate generator: one pulse every `divisor` clocks */

void pit_periodic(uint16_t divisor)
{
    outb(PIT_CONTROL, PIT_SEL_CH0 | PIT_LOHI | PIT_MODE2);
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
}

uint16_t pit_read_count(void)
{
    outb(PIT_CONTROL, PIT_SEL_CH0 | PIT_LATCH);
    uint8_t lo = inb(PIT_CH0);
    uint8_t hi = inb(PIT_CH0);
    return (uint16_t)(hi << 8 | lo);
}
