/* The machine's address decoding: I/O ports and MMIO ranges mapped to devices
 * behind struct dev_ops. The run loop dispatches by address and never names a device. */
#ifndef MACHINE_IOMAP_H
#define MACHINE_IOMAP_H

#include <stdint.h>

#include "devices/dev.h"

#define IOMAP_MAX_DEVS 64

struct io_region {
    const struct dev_ops *ops;
    void *opaque;
    uint64_t base, len;
};

struct iomap {
    struct io_region regions[IOMAP_MAX_DEVS];
    int n;
    uint8_t port_owner[65536]; /* index + 1 into regions; 0 = nothing there */
};

void iomap_init(struct iomap *m);
/* Claim ports [base, base+len) for a device; -1 if taken or full. */
int iomap_add_pio(struct iomap *m, uint16_t base, uint16_t len, const struct dev_ops *ops, void *opaque);
/* Port accesses: an unclaimed port reads all-ones and ignores writes, as on a PC. */
uint32_t iomap_pio_read(struct iomap *m, uint16_t port, unsigned size);
void iomap_pio_write(struct iomap *m, uint16_t port, uint32_t val, unsigned size);

#endif
