/* The 8254 programmable interval timer (3 channels at 1.193182 MHz) and the
 * port-0x61 speaker/gate register. Follows the Intel 8254 datasheet. */
#ifndef DEVICES_PIT8254_H
#define DEVICES_PIT8254_H

#include <stdint.h>

#include "base/evq.h"
#include "devices/dev.h"

/* Two ranges, one state: counters and control word at 0x40-0x43, and NMI
 * status/control port 0x61 (channel 2 gate, speaker, OUT2, refresh toggle).
 * pit8254_ops saves, loads and resets everything; pit8254_port61_ops saves
 * nothing and its reset does nothing. */
#define PIT8254_PORT_LEN 4
#define PIT8254_PORT61_LEN 1
#define PIT8254_HZ 1193182ULL

struct pit8254;

/* irq0 is channel 0's OUT (ISA IRQ0). */
struct pit8254 *pit_create(struct evq *q, struct irq_line irq0);
void pit_destroy(struct pit8254 *p);

extern const struct dev_ops pit8254_ops;
extern const struct dev_ops pit8254_port61_ops;

#endif
