/* Tests for isa-debug-exit through its ops table: the value reaches the exit
 * callback, the exit status formula matches QEMU's, bad accesses are ignored. */
#include <criterion/criterion.h>

#include "base/err.h"
#include "devices/debug_exit.h"

static uint32_t got;
static int calls;

static void on_exit_value(void *opaque, uint32_t v)
{
    got = v;
    calls++;
}

Test(debug_exit, byte_write_calls_exit)
{
    struct debug_exit *d = debug_exit_create(on_exit_value, NULL);
    calls = 0;
    debug_exit_ops.write(d, 0, 0x31, 1);
    cr_assert_eq(calls, 1);
    cr_assert_eq(got, 0x31);
    cr_assert_eq(debug_exit_status(got), 0x63);
    cr_assert_eq(debug_exit_status(0), 1);
    debug_exit_destroy(d);
}

Test(debug_exit, wide_write_masked_to_size)
{
    struct debug_exit *d = debug_exit_create(on_exit_value, NULL);
    calls = 0;
    debug_exit_ops.write(d, 0, 0x1234567801ULL, 4);
    cr_assert_eq(got, 0x34567801);
    debug_exit_ops.write(d, 2, 1, 1);
    cr_assert_eq(calls, 1, "offset 2 is not the exit register");
    cr_assert_eq(debug_exit_ops.read(d, 0, 1), 0xff);
    debug_exit_destroy(d);
}

Test(debug_exit, save_load_checks_header)
{
    struct debug_exit *d = debug_exit_create(on_exit_value, NULL);
    struct buf b;
    struct buf_reader r;
    buf_init(&b);
    cr_assert_eq(debug_exit_ops.save(d, &b), 0);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(debug_exit_ops.load(d, &r), 0);
    buf_reader_init(&r, b.data, 2);
    cr_assert_eq(debug_exit_ops.load(d, &r), HV_ECORRUPT);
    buf_free(&b);
    debug_exit_destroy(d);
}
