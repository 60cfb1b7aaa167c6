/* Console input: bytes for COM1's receive FIFO from outside the simulation. They
 * are served between CPU runs, at instruction-block boundaries, whenever the
 * UART has room: live from a buffer (recording each byte with its virtual time
 * and instruction count), in a replay from the record log at the recorded
 * instruction count. A poll every millisecond of virtual time guarantees such
 * boundaries while input waits; it stops when none is left, in both runs alike.
 * Input starts at the first poll, 1 ms into the run, once COM1 is set up. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "devices/uart16550.h"
#include "machine_priv.h"

#define INPUT_POLL_PERIOD VTIME_MS

struct console_input {
    uint8_t *data; /* live */
    size_t len, pos;
    machine_input_fn *on_byte;
    void *opaque;
    struct machine_input_src src; /* replay, when src.peek is set */
    struct event poll;
    bool started; /* the first poll has come: the guest had a millisecond to set up COM1 */
    uint64_t hash; /* of each byte that entered and its instruction count */
};

uint64_t console_input_hash(const struct machine *m)
{
    return m->input ? m->input->hash : HASH_FNV1A64_INIT;
}

static bool input_left(struct console_input *in)
{
    vtime_t t;
    uint64_t ic;
    uint8_t b;
    return in->src.peek ? in->src.peek(in->src.opaque, &t, &ic, &b) != 0 : in->pos < in->len;
}

static void poll_fire(void *opaque, vtime_t now)
{
    struct machine *m = opaque;
    /* The run loop serves the input at this boundary. */
    m->input->started = true;
    if (input_left(m->input))
        evq_schedule(&m->q, &m->input->poll, (now / INPUT_POLL_PERIOD + 1) * INPUT_POLL_PERIOD);
}

static struct console_input *input_new(struct machine *m)
{
    if (m->input)
        return NULL;
    m->input = calloc(1, sizeof *m->input);
    if (!m->input)
        return NULL;
    m->input->hash = HASH_FNV1A64_INIT;
    event_init(&m->input->poll, "console-input", poll_fire, m);
    evq_schedule(&m->q, &m->input->poll, INPUT_POLL_PERIOD);
    return m->input;
}

int machine_console_feed(struct machine *m, const uint8_t *data, size_t len, machine_input_fn *on_byte, void *opaque)
{
    struct console_input *in = input_new(m);
    if (!in)
        return HV_ENOMEM;
    in->data = malloc(len ? len : 1);
    if (!in->data)
        return HV_ENOMEM;
    memcpy(in->data, data, len);
    in->len = len;
    in->on_byte = on_byte;
    in->opaque = opaque;
    return HV_OK;
}

int machine_console_replay(struct machine *m, const struct machine_input_src *src)
{
    struct console_input *in = input_new(m);
    if (!in)
        return HV_ENOMEM;
    in->src = *src;
    return HV_OK;
}

void console_input_free(struct machine *m)
{
    if (!m->input)
        return;
    evq_cancel(&m->q, &m->input->poll);
    free(m->input->data);
    free(m->input);
    m->input = NULL;
}

vtime_t console_input_deadline(struct machine *m, vtime_t deadline)
{
    vtime_t t;
    uint64_t ic;
    uint8_t b;
    struct console_input *in = m->input;
    if (!in || !in->started || !in->src.peek || !in->src.peek(in->src.opaque, &t, &ic, &b))
        return deadline;
    /* Stop the CPU where the recorded byte entered; when that time has passed
     * but not its instruction count (an edited log), run one block at a time. */
    vtime_t now = cpu_now(m->cpu);
    if (t <= now)
        t = now + 1;
    return t < deadline ? t : deadline;
}

int console_input_serve(struct machine *m)
{
    struct console_input *in = m->input;
    uint64_t icount = cpu_instructions(m->cpu);
    vtime_t now = cpu_now(m->cpu);

    if (!in || !in->started)
        return 0; /* bytes sent before the guest programs COM1 would be lost */
    while (uart_rx_room(m->uart) > 0) {
        uint8_t b;
        if (in->src.peek) {
            vtime_t t;
            uint64_t ic;
            if (!in->src.peek(in->src.opaque, &t, &ic, &b) || ic > icount)
                return 0;
            if (ic < icount) {
                /* A faithful replay stops exactly where each byte entered. */
                in->src.missed(in->src.opaque, icount);
                return 1;
            }
            in->src.pop(in->src.opaque);
        } else {
            if (in->pos == in->len)
                return 0;
            b = in->data[in->pos++];
            if (in->on_byte)
                in->on_byte(in->opaque, now, icount, b);
        }
        uart_rx_push(m->uart, b);
        in->hash = hash_fnv1a64(in->hash, &icount, sizeof icount);
        in->hash = hash_fnv1a64(in->hash, &b, 1);
    }
    return 0;
}

void console_input_save(const struct machine *m, struct buf *out)
{
    const struct console_input *in = m->input;
    buf_put_u64(out, in ? in->hash : HASH_FNV1A64_INIT);
    buf_put_u8(out, in && in->started);
    buf_put_u64(out, in ? in->pos : 0);
}

void console_input_load(struct machine *m, struct buf_reader *r)
{
    uint64_t hash = buf_get_u64(r);
    bool started = buf_get_u8(r);
    uint64_t pos = buf_get_u64(r);
    struct console_input *in = m->input;
    if (!in)
        return;
    in->hash = hash;
    in->started = started;
    if (!in->src.peek && pos <= in->len)
        in->pos = pos;
    /* The poll falls on whole milliseconds while input is left, as in the run
     * that was saved. */
    evq_cancel(&m->q, &in->poll);
    if (input_left(in))
        evq_schedule(&m->q, &in->poll, (m->q.now + INPUT_POLL_PERIOD - 1) / INPUT_POLL_PERIOD * INPUT_POLL_PERIOD);
}

bool console_input_is_poll(const struct machine *m, const struct event *ev)
{
    return m->input && ev == &m->input->poll;
}
