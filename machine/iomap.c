/* Port-I/O decoding with a 64 KiB owner table: one lookup per access. */
#include "iomap.h"

#include <string.h>

#include "base/log.h"

void iomap_init(struct iomap *m) { memset(m, 0, sizeof *m); }

int iomap_add_pio(struct iomap *m, uint16_t base, uint16_t len, const struct dev_ops *ops, void *opaque)
{
    if (m->n >= IOMAP_MAX_DEVS || (uint32_t)base + len > 65536)
        return -1;
    for (uint32_t p = base; p < (uint32_t)base + len; p++)
        if (m->port_owner[p])
            return -1;
    m->regions[m->n] = (struct io_region){ .ops = ops, .opaque = opaque, .base = base, .len = len };
    m->n++;
    for (uint32_t p = base; p < (uint32_t)base + len; p++)
        m->port_owner[p] = (uint8_t)m->n;
    return 0;
}

uint32_t iomap_pio_read(struct iomap *m, uint16_t port, unsigned size)
{
    uint8_t o = m->port_owner[port];
    if (!o) {
        log_debug("io: read of unclaimed port %#x", port);
        return size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
    }
    struct io_region *r = &m->regions[o - 1];
    return (uint32_t)r->ops->read(r->opaque, port - r->base, size);
}

void iomap_pio_write(struct iomap *m, uint16_t port, uint32_t val, unsigned size)
{
    uint8_t o = m->port_owner[port];
    if (!o) {
        log_debug("io: write of %#x to unclaimed port %#x", val, port);
        return;
    }
    struct io_region *r = &m->regions[o - 1];
    r->ops->write(r->opaque, port - r->base, val, size);
}
