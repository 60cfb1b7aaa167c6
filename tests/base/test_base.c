/* Tests for the PRNG, byte buffers and virtual-time parsing. */
#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/prng.h"
#include "base/vtime.h"

Test(prng, same_seed_same_stream_different_seed_differs)
{
    struct prng a, b, c;
    prng_seed(&a, 42);
    prng_seed(&b, 42);
    prng_seed(&c, 43);
    int same_c = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = prng_next(&a);
        cr_assert_eq(x, prng_next(&b));
        same_c += x == prng_next(&c);
    }
    cr_assert_lt(same_c, 2);
}

Test(prng, below_stays_in_range_and_covers_it)
{
    struct prng p;
    int seen[10] = { 0 };
    prng_seed(&p, 1);
    for (int i = 0; i < 1000; i++) {
        uint64_t v = prng_below(&p, 10);
        cr_assert_lt(v, 10);
        seen[v]++;
    }
    for (int i = 0; i < 10; i++)
        cr_assert_gt(seen[i], 50);
}

Test(buf, round_trip_little_endian)
{
    struct buf b;
    struct buf_reader r;
    buf_init(&b);
    buf_put_u8(&b, 0x12);
    buf_put_u16(&b, 0x3456);
    buf_put_u32(&b, 0x789abcde);
    buf_put_u64(&b, 0x0102030405060708ULL);
    cr_assert_eq(b.len, 15);
    cr_assert_eq(b.data[1], 0x56);
    buf_reader_init(&r, b.data, b.len);
    cr_assert_eq(buf_get_u8(&r), 0x12);
    cr_assert_eq(buf_get_u16(&r), 0x3456);
    cr_assert_eq(buf_get_u32(&r), 0x789abcde);
    cr_assert_eq(buf_get_u64(&r), 0x0102030405060708ULL);
    cr_assert_eq(r.err, 0);
    cr_assert_eq(buf_get_u32(&r), 0);
    cr_assert_eq(r.err, HV_ERANGE);
    buf_free(&b);
}

Test(vtime, parse_units)
{
    vtime_t t;
    cr_assert_eq(vtime_parse("10s", &t), 0);
    cr_assert_eq(t, 10 * VTIME_S);
    cr_assert_eq(vtime_parse("250ms", &t), 0);
    cr_assert_eq(t, 250 * VTIME_MS);
    cr_assert_eq(vtime_parse("1.5", &t), 0);
    cr_assert_eq(t, 1500 * VTIME_MS);
    cr_assert_eq(vtime_parse("7us", &t), 0);
    cr_assert_eq(t, 7000);
    cr_assert_eq(vtime_parse("3 parsecs", &t), HV_EINVAL);
    cr_assert_eq(vtime_parse("", &t), HV_EINVAL);
    cr_assert_eq(vtime_from_cycles(3000000000ULL, 3000000000ULL), VTIME_S);
}
