/* MC146818A RTC and CMOS RAM (Motorola datasheet; PC register map as QEMU's
 * mc146818rtc). The time is base_sec plus whole seconds of virtual time since
 * base_vt; the guest setting the clock moves the base. Interrupt flags PF and
 * UF are also computed lazily on a register C read, so polling works without
 * events; events run only while an interrupt is enabled. */
#include "devices/cmos_rtc.h"

#include <stdbool.h>
#include <stdlib.h>

#include "base/log.h"
#include "dev_priv.h"

#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d

#define RTC_A_UIP 0x80
#define RTC_A_DV_MASK 0x70
#define RTC_A_DV_NORMAL 0x20 /* 32.768 kHz time base, running */
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM 0x04    /* binary, not BCD */
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80   /* valid RAM and time */
#define RTC_HOUR_PM 0x80
#define RTC_ALARM_DONT_CARE 0xc0
#define RTC_UIP_NS 244000 /* UIP rises this long before each update */
/* An access to 0x70/0x71 is an LPC I/O cycle: about 1 us on a PC (Linux's
 * port-0x80 io_delay relies on the same order). Charging it makes a guest
 * polling UIP for the next second spin 2 us a poll, not a few ns. */
#define RTC_ACCESS_NS 1000
#define RTC_BASE_HZ 32768
#define RTC_MAGIC 0x434d4f53 /* "CMOS" */

struct cmos_rtc {
    struct evq *q;
    struct irq_line irq;
    struct event periodic_ev, update_ev;
    uint8_t ram[128]; /* registers 0-9 hold the frozen time while SET is 1 */
    uint8_t index, nmi_disabled, irq_level;
    int64_t base_sec;
    vtime_t base_vt;
    vtime_t flags_vt; /* PF/UF boundaries before this were already reported */
};

/* Days from 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void rtc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int rtc_running(const struct cmos_rtc *c)
{
    return (c->ram[RTC_REG_A] & RTC_A_DV_MASK) == RTC_A_DV_NORMAL;
}

int64_t cmos_rtc_time(const struct cmos_rtc *c)
{
    return c->base_sec + (int64_t)((c->q->now - c->base_vt) / VTIME_S);
}

static uint8_t rtc_to_reg(const struct cmos_rtc *c, unsigned v)
{
    return (c->ram[RTC_REG_B] & RTC_B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned rtc_from_reg(const struct cmos_rtc *c, uint8_t v)
{
    return (c->ram[RTC_REG_B] & RTC_B_DM) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t rtc_hour_to_reg(const struct cmos_rtc *c, unsigned h)
{
    if (c->ram[RTC_REG_B] & RTC_B_24H)
        return rtc_to_reg(c, h);
    return rtc_to_reg(c, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static unsigned rtc_hour_from_reg(const struct cmos_rtc *c, uint8_t v)
{
    unsigned h;
    if (c->ram[RTC_REG_B] & RTC_B_24H)
        return rtc_from_reg(c, v);
    h = rtc_from_reg(c, v & ~RTC_HOUR_PM) % 12;
    return (v & RTC_HOUR_PM) ? h + 12 : h;
}

/* Write the clock's current time into registers 0, 2, 4, 6-9 and the century. */
static void rtc_store_time(struct cmos_rtc *c, int64_t t)
{
    int64_t days = (t >= 0 ? t : t - 86399) / 86400, secs = t - days * 86400, year;
    unsigned month, day;

    rtc_civil_from_days(days, &year, &month, &day);
    c->ram[RTC_SECONDS] = rtc_to_reg(c, (unsigned)(secs % 60));
    c->ram[RTC_MINUTES] = rtc_to_reg(c, (unsigned)(secs / 60 % 60));
    c->ram[RTC_HOURS] = rtc_hour_to_reg(c, (unsigned)(secs / 3600));
    c->ram[RTC_DAY_OF_WEEK] = rtc_to_reg(c, (unsigned)(((days % 7) + 11) % 7) + 1); /* 1 = Sunday */
    c->ram[RTC_DAY_OF_MONTH] = rtc_to_reg(c, day);
    c->ram[RTC_MONTH] = rtc_to_reg(c, month);
    c->ram[RTC_YEAR] = rtc_to_reg(c, (unsigned)(year % 100));
    c->ram[CMOS_CENTURY] = rtc_to_reg(c, (unsigned)(year / 100));
}

static int64_t rtc_load_time(const struct cmos_rtc *c)
{
    int64_t year = rtc_from_reg(c, c->ram[CMOS_CENTURY]) * 100 + rtc_from_reg(c, c->ram[RTC_YEAR]);
    unsigned month = rtc_from_reg(c, c->ram[RTC_MONTH]), day = rtc_from_reg(c, c->ram[RTC_DAY_OF_MONTH]);

    if (month < 1 || month > 12 || day < 1 || day > 31) {
        log_guest("rtc: invalid date %u/%u set; clock unchanged", month, day);
        return cmos_rtc_time(c);
    }
    return rtc_days_from_civil(year, month, day) * 86400 + rtc_hour_from_reg(c, c->ram[RTC_HOURS]) * 3600 +
           rtc_from_reg(c, c->ram[RTC_MINUTES]) * 60 + rtc_from_reg(c, c->ram[RTC_SECONDS]);
}

/* Restart the clock from the time in the registers, keeping the phase of the
 * second so update interrupts stay on the same grid. */
static void rtc_rebase(struct cmos_rtc *c)
{
    vtime_t now = c->q->now;
    c->base_sec = rtc_load_time(c);
    c->base_vt = now - (now - c->base_vt) % VTIME_S;
}

static uint64_t rtc_period_ticks(const struct cmos_rtc *c)
{
    unsigned rs = c->ram[RTC_REG_A] & 15;
    if (!rs)
        return 0;
    return rs <= 2 ? (rs == 1 ? 128 : 256) : 1ULL << (rs - 1);
}

/* IRQF summarises the enabled flags; IRQ8 follows it until register C is read. */
static void rtc_update_irq(struct cmos_rtc *c)
{
    uint8_t b = c->ram[RTC_REG_B], f = c->ram[RTC_REG_C];
    int on = ((f & RTC_C_PF) && (b & RTC_B_PIE)) || ((f & RTC_C_AF) && (b & RTC_B_AIE)) ||
             ((f & RTC_C_UF) && (b & RTC_B_UIE));

    c->ram[RTC_REG_C] = (f & ~RTC_C_IRQF) | (on ? RTC_C_IRQF : 0);
    if (on != c->irq_level) {
        c->irq_level = (uint8_t)on;
        irq_line_set(&c->irq, on);
    }
}

static int rtc_alarm_match(const struct cmos_rtc *c)
{
    static const uint8_t alarm[3] = { RTC_SECONDS_ALARM, RTC_MINUTES_ALARM, RTC_HOURS_ALARM };
    for (int i = 0; i < 3; i++) {
        uint8_t a = c->ram[alarm[i]];
        if ((a & RTC_ALARM_DONT_CARE) != RTC_ALARM_DONT_CARE && a != c->ram[alarm[i] - 1])
            return 0;
    }
    return 1;
}

/* Events exist only while their interrupt is enabled; both are computed on an
 * absolute grid (periodic: multiples of the rate; update: base_vt + k s). */
static void rtc_schedule(struct cmos_rtc *c)
{
    uint64_t ticks = rtc_period_ticks(c), k;
    uint8_t b = c->ram[RTC_REG_B];

    if ((b & RTC_B_PIE) && ticks && rtc_running(c)) {
        k = vtime_to_cycles(c->q->now, RTC_BASE_HZ) / ticks + 1;
        evq_schedule(c->q, &c->periodic_ev, dev_ticks_to_ns_ceil(k * ticks, RTC_BASE_HZ));
    } else {
        evq_cancel(c->q, &c->periodic_ev);
    }
    if ((b & (RTC_B_UIE | RTC_B_AIE)) && !(b & RTC_B_SET) && rtc_running(c))
        evq_schedule(c->q, &c->update_ev, c->base_vt + ((c->q->now - c->base_vt) / VTIME_S + 1) * VTIME_S);
    else
        evq_cancel(c->q, &c->update_ev);
}

static void rtc_periodic(void *opaque, vtime_t now)
{
    struct cmos_rtc *c = opaque;
    c->ram[RTC_REG_C] |= RTC_C_PF;
    rtc_update_irq(c);
    rtc_schedule(c);
}

static void rtc_update_ended(void *opaque, vtime_t now)
{
    struct cmos_rtc *c = opaque;

    rtc_store_time(c, cmos_rtc_time(c));
    c->ram[RTC_REG_C] |= RTC_C_UF;
    if (rtc_alarm_match(c))
        c->ram[RTC_REG_C] |= RTC_C_AF;
    rtc_update_irq(c);
    rtc_schedule(c);
}

/* Flags for boundaries passed since the last register C read, whether or not
 * their interrupts were enabled. */
static void rtc_catch_up_flags(struct cmos_rtc *c)
{
    vtime_t now = c->q->now, from = c->flags_vt > c->base_vt ? c->flags_vt : c->base_vt;
    uint64_t ticks = rtc_period_ticks(c);

    if (!rtc_running(c))
        return;
    if (ticks && vtime_to_cycles(now, RTC_BASE_HZ) / ticks > vtime_to_cycles(c->flags_vt, RTC_BASE_HZ) / ticks)
        c->ram[RTC_REG_C] |= RTC_C_PF;
    if (!(c->ram[RTC_REG_B] & RTC_B_SET) && (now - c->base_vt) / VTIME_S > (from - c->base_vt) / VTIME_S)
        c->ram[RTC_REG_C] |= RTC_C_UF;
}

/* The registers an update rewrites each second. */
static bool rtc_is_time_reg(unsigned r)
{
    switch (r) {
    case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case CMOS_CENTURY:
        return true;
    }
    return false;
}

static uint8_t rtc_read_reg(struct cmos_rtc *c, unsigned r)
{
    uint8_t v;

    if (rtc_is_time_reg(r)) {
        if (!(c->ram[RTC_REG_B] & RTC_B_SET)) /* live time unless the guest froze it */
            rtc_store_time(c, cmos_rtc_time(c));
        return c->ram[r];
    }
    switch (r) {
    case RTC_REG_A: /* UIP: the 244 us before each update */
        v = c->ram[RTC_REG_A] & ~RTC_A_UIP;
        if (rtc_running(c) && !(c->ram[RTC_REG_B] & RTC_B_SET) &&
            (c->q->now - c->base_vt) % VTIME_S >= VTIME_S - RTC_UIP_NS)
            v |= RTC_A_UIP;
        return v;
    case RTC_REG_C: /* reading C returns and clears the flags, dropping IRQ8 */
        rtc_catch_up_flags(c);
        rtc_update_irq(c);
        v = c->ram[RTC_REG_C];
        c->ram[RTC_REG_C] = 0;
        c->flags_vt = c->q->now;
        rtc_update_irq(c);
        return v;
    case RTC_REG_D:
        return RTC_D_VRT;
    default:
        return c->ram[r];
    }
}

static void rtc_write_reg(struct cmos_rtc *c, unsigned r, uint8_t v)
{
    uint8_t old_b = c->ram[RTC_REG_B];

    switch (r) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case CMOS_CENTURY:
        /* Setting a field while running takes effect at once; with SET it
         * waits for SET to clear. */
        if (!(old_b & RTC_B_SET))
            rtc_store_time(c, cmos_rtc_time(c));
        c->ram[r] = v;
        if (!(old_b & RTC_B_SET))
            rtc_rebase(c);
        break;
    case RTC_REG_A: /* UIP is read-only */
        c->ram[RTC_REG_A] = v & ~RTC_A_UIP;
        break;
    case RTC_REG_B:
        if (v & RTC_B_SET) {
            v &= ~RTC_B_UIE; /* SET clears UIE */
            if (!(old_b & RTC_B_SET))
                rtc_store_time(c, cmos_rtc_time(c)); /* freeze what the guest will edit */
        }
        c->ram[RTC_REG_B] = v;
        if ((old_b & RTC_B_SET) && !(v & RTC_B_SET))
            rtc_rebase(c);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        log_guest("rtc: write 0x%02x to read-only register 0x%x", v, r);
        return;
    default:
        c->ram[r] = v;
        return;
    }
    rtc_update_irq(c);
    rtc_schedule(c);
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
    struct cmos_rtc *c = opaque;

    if (size != 1 || off != 1) { /* the index port is write-only */
        if (size != 1 || off > 1)
            log_guest("rtc: %u-byte read at offset %llu", size, (unsigned long long)off);
        return dev_ones(size);
    }
    return rtc_read_reg(c, c->index);
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct cmos_rtc *c = opaque;

    if (size != 1 || off > 1) {
        log_guest("rtc: %u-byte write at offset %llu", size, (unsigned long long)off);
        return;
    }
    if (off == 0) { /* index, and bit 7 masks NMI */
        c->index = val & 0x7f;
        c->nmi_disabled = (val >> 7) & 1;
    } else {
        rtc_write_reg(c, c->index, (uint8_t)val);
    }
}

int cmos_rtc_nmi_disabled(const struct cmos_rtc *c)
{
    return c->nmi_disabled;
}

/* Reset (the RESET pin): clears the interrupt enables and flags; the time and
 * RAM survive, as on a PC. */
static void rtc_reset(void *opaque)
{
    struct cmos_rtc *c = opaque;

    c->ram[RTC_REG_B] &= ~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
    c->ram[RTC_REG_C] = 0;
    c->flags_vt = c->q->now;
    rtc_update_irq(c);
    rtc_schedule(c);
}

static int rtc_save(void *opaque, struct buf *b)
{
    struct cmos_rtc *c = opaque;

    dev_save_header(b, RTC_MAGIC, 1);
    buf_put(b, c->ram, sizeof c->ram);
    buf_put_u8(b, c->index);
    buf_put_u8(b, c->nmi_disabled);
    buf_put_u8(b, c->irq_level);
    buf_put_u64(b, (uint64_t)c->base_sec);
    buf_put_u64(b, c->base_vt);
    buf_put_u64(b, c->flags_vt);
    dev_save_event(b, &c->periodic_ev);
    dev_save_event(b, &c->update_ev);
    return b->err;
}

static int rtc_load(void *opaque, struct buf_reader *r)
{
    struct cmos_rtc *c = opaque, t = *c;
    struct dev_saved_event pev, uev;

    if (dev_load_header(r, RTC_MAGIC, 1))
        return HV_ECORRUPT;
    buf_get(r, t.ram, sizeof t.ram);
    t.index = buf_get_u8(r) & 0x7f;
    t.nmi_disabled = buf_get_u8(r) & 1;
    t.irq_level = buf_get_u8(r) & 1;
    t.base_sec = (int64_t)buf_get_u64(r);
    t.base_vt = buf_get_u64(r);
    t.flags_vt = buf_get_u64(r);
    pev = dev_load_event(r);
    uev = dev_load_event(r);
    if (r->err)
        return HV_ECORRUPT;
    t.periodic_ev = c->periodic_ev;
    t.update_ev = c->update_ev;
    *c = t;
    dev_rearm_event(c->q, &c->periodic_ev, pev);
    dev_rearm_event(c->q, &c->update_ev, uev);
    return HV_OK;
}

/* Polling: index writes repeat harmlessly; UIP holds until its next edge, the
 * time registers until the next update, CMOS memory for good; register C
 * clears its flags when read. */
static enum dev_poll rtc_poll(void *opaque, uint64_t off, unsigned size, int write, uint64_t val, vtime_t now,
                              vtime_t *until)
{
    struct cmos_rtc *c = opaque;
    vtime_t in_sec = (now - c->base_vt) % VTIME_S, sec_start = now - in_sec;

    if (size != 1 || off > 1)
        return DEV_POLL_NONE;
    if (write)
        return off == 0 && c->index == (val & 0x7f) && c->nmi_disabled == ((val >> 7) & 1) ? DEV_POLL_SAME
                                                                                          : DEV_POLL_NONE;
    if (rtc_is_time_reg(c->index)) {
        *until = sec_start + VTIME_S;
        return DEV_POLL_STABLE;
    }
    switch (c->index) {
    case RTC_REG_C:
        return DEV_POLL_NONE;
    case RTC_REG_A:
        *until = in_sec < VTIME_S - RTC_UIP_NS ? sec_start + VTIME_S - RTC_UIP_NS : sec_start + VTIME_S;
        return DEV_POLL_STABLE;
    default:
        *until = VTIME_NEVER;
        return DEV_POLL_STABLE;
    }
}

const struct dev_ops cmos_rtc_ops = {
    .name = "cmos-rtc",
    .read = rtc_read,
    .write = rtc_write,
    .reset = rtc_reset,
    .save = rtc_save,
    .load = rtc_load,
    .access_ns = RTC_ACCESS_NS,
    .poll = rtc_poll,
};

/* BIOS memory bytes, as QEMU's pc_cmos_init fills them. */
static void rtc_set_memory(struct cmos_rtc *c, uint64_t below, uint64_t above)
{
    uint64_t ext_kb = below > (1 << 20) ? (below >> 10) - 1024 : 0;
    uint64_t high_64k = below > (16 << 20) ? (below - (16 << 20)) >> 16 : 0;
    uint64_t above_64k = above >> 16;

    ext_kb = ext_kb > 0xffff ? 0xffff : ext_kb;
    high_64k = high_64k > 0xffff ? 0xffff : high_64k;
    above_64k = above_64k > 0xffffff ? 0xffffff : above_64k;
    c->ram[0x15] = 640 & 0xff; /* base memory: 640 KiB */
    c->ram[0x16] = 640 >> 8;
    c->ram[0x17] = c->ram[0x30] = (uint8_t)ext_kb; /* KiB above 1 MiB, up to 64 MiB */
    c->ram[0x18] = c->ram[0x31] = (uint8_t)(ext_kb >> 8);
    c->ram[0x34] = (uint8_t)high_64k;              /* 64 KiB units above 16 MiB */
    c->ram[0x35] = (uint8_t)(high_64k >> 8);
    c->ram[0x5b] = (uint8_t)above_64k;             /* 64 KiB units above 4 GiB */
    c->ram[0x5c] = (uint8_t)(above_64k >> 8);
    c->ram[0x5d] = (uint8_t)(above_64k >> 16);
}

struct cmos_rtc *cmos_rtc_create(struct evq *q, const struct cmos_rtc_config *cfg)
{
    struct cmos_rtc *c = calloc(1, sizeof *c);

    if (!c) {
        log_error("rtc: out of memory");
        return NULL;
    }
    c->q = q;
    c->irq = cfg->irq;
    event_init(&c->periodic_ev, "rtc-periodic", rtc_periodic, c);
    event_init(&c->update_ev, "rtc-update", rtc_update_ended, c);
    c->base_sec = cfg->epoch;
    c->base_vt = q->now;
    c->flags_vt = q->now;
    c->ram[RTC_REG_A] = RTC_A_DV_NORMAL | 0x06; /* 1024 Hz rate, as a BIOS leaves it */
    c->ram[RTC_REG_B] = RTC_B_24H;              /* BCD, 24-hour */
    rtc_set_memory(c, cfg->ram_below_4g, cfg->ram_above_4g);
    rtc_store_time(c, cfg->epoch);
    return c;
}

void cmos_rtc_destroy(struct cmos_rtc *c)
{
    if (!c)
        return;
    evq_cancel(c->q, &c->periodic_ev);
    evq_cancel(c->q, &c->update_ev);
    free(c);
}
