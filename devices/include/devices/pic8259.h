/* The PC's cascaded pair of 8259A programmable interrupt controllers, with the
 * PIIX edge/level control registers (ELCR). Follows the Intel 8259A datasheet. */
#ifndef DEVICES_PIC8259_H
#define DEVICES_PIC8259_H

#include <stdint.h>

#include "devices/dev.h"

/* Three ranges, one state: master 0x20-0x21, slave 0xa0-0xa1, ELCR 0x4d0-0x4d1.
 * pic8259_master_ops saves, loads and resets the whole pair; the slave and ELCR
 * tables save nothing and their reset does nothing, so the machine may treat
 * all three uniformly. */
#define PIC8259_PORT_LEN 2
#define PIC8259_ELCR_PORT_LEN 2

struct pic8259;

/* intr is the master's INT output (to the CPU, or the local APIC's LINT0). */
struct pic8259 *pic_create(struct irq_line intr);
void pic_destroy(struct pic8259 *p);
/* Drive ISA input irq (0-15) to level; edge inputs latch on 0->1. */
void pic_set_irq(struct pic8259 *p, unsigned irq, int level);
/* The vector an INTA cycle would return now, or -1 when INT is not asserted. */
int pic_intr_pending(struct pic8259 *p);
/* The INTA cycle: IRR->ISR (unless auto-EOI), returns the vector; a request
 * that went away answers with the spurious IRQ7 (or IRQ15) vector. */
int pic_intr_ack(struct pic8259 *p);

extern const struct dev_ops pic8259_master_ops;
extern const struct dev_ops pic8259_slave_ops;
extern const struct dev_ops pic8259_elcr_ops;

#endif
