/* pic.c: the 8259A pair in cascade, remapped so IRQs do not collide with CPU
 * exceptions (Intel 8259A datasheet: ICW1-ICW4, OCW1, OCW2). */
#include "klib/memlayout.h"
#include "klib/pic.h"
#include "klib/x86.h"

#define PIC1_CMD  PORT_PIC1
#define PIC1_DATA (PORT_PIC1 + 1)
#define PIC2_CMD  PORT_PIC2
#define PIC2_DATA (PORT_PIC2 + 1)
#define ICW1_INIT_ICW4 0x11   /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086      0x01
#define OCW2_EOI       0x20   /* non-specific end of interrupt */
#define CASCADE_IRQ    2

void pic_init(void)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    outb(PIC1_DATA, VEC_IRQ0);              /* ICW2: vector base */
    outb(PIC2_DATA, VEC_IRQ0 + 8);
    outb(PIC1_DATA, 1 << CASCADE_IRQ);      /* ICW3: the slave hangs on IRQ2 */
    outb(PIC2_DATA, CASCADE_IRQ);
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    outb(PIC1_DATA, 0xff & ~(1 << CASCADE_IRQ));  /* OCW1: all masked but the cascade */
    outb(PIC2_DATA, 0xff);
}

void pic_unmask(int irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) & ~(1 << (irq & 7)));
}

void pic_mask(int irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) | 1 << (irq & 7));
}

void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, OCW2_EOI);
    outb(PIC1_CMD, OCW2_EOI);
}
