/* pit.h: the 8254 programmable interval timer, channel 0 on IRQ0
 * (Intel 8254 datasheet; input clock 1.193182 MHz). */
#ifndef KLIB_PIT_H
#define KLIB_PIT_H

#include <stdint.h>

#define PIT_HZ 1193182u

/* Channel 0 as a rate generator (mode 2) with the given divisor. */
void pit_periodic(uint16_t divisor);
/* Latches and reads channel 0's current count. */
uint16_t pit_read_count(void);

#endif
