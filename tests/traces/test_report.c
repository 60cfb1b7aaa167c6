/* Tests for reports: counts from a synthetic trace with known exits, text and
 * JSON content, Chrome trace-event fields, SVG output, and byte-identical runs.
 * The files written here are also checked by python3 (check_report.py) in ctest. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_trace.h"
#include "traces/evtrace.h"
#include "traces/report.h"

/* --- a tiny JSON syntax checker (RFC 8259 grammar, no semantics) --------- */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\' && !*++p)
            return NULL;
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    const char *s = p;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p) || (*p == '0' && isdigit((unsigned char)p[1])))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return p > s ? p : NULL;
}

static const char *json_seq(const char *p, char close, int keyed)
{
    p = json_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (keyed) {
            if (!(p = json_string(json_ws(p))) || *(p = json_ws(p)) != ':')
                return NULL;
            p++;
        }
        if (!(p = json_value(p)))
            return NULL;
        p = json_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p)
{
    p = json_ws(p);
    switch (*p) {
    case '{': return json_seq(p, '}', 1);
    case '[': return json_seq(p, ']', 0);
    case '"': return json_string(p);
    case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
    case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
    case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
    default: return json_number(p);
    }
}

static int json_valid(const struct buf *b)
{
    char *s = strndup((const char *)b->data, b->len);
    const char *end = json_value(s);
    int ok = end && *json_ws(end) == 0;
    free(s);
    return ok;
}

/* --- helpers -------------------------------------------------------------- */

static struct evtrace_reader *synth_open(const char *path)
{
    struct evtrace_reader *r;
    cr_assert_eq(synth_trace_write(path, 32), 0);
    r = evtrace_reader_open(path, 0);
    cr_assert_not_null(r);
    return r;
}

static char *cstr(const struct buf *b)
{
    return strndup((const char *)b->data, b->len);
}

static size_t count_substr(const char *s, const char *needle)
{
    size_t n = 0;
    while ((s = strstr(s, needle))) {
        n++;
        s += strlen(needle);
    }
    return n;
}

static void spill(const char *path, const struct buf *b)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

/* --- tests ---------------------------------------------------------------- */

Test(report, names_follow_the_sdm_and_xen)
{
    cr_assert_str_eq(report_exit_reason_name(0), "EXCEPTION_NMI");
    cr_assert_str_eq(report_exit_reason_name(10), "CPUID");
    cr_assert_str_eq(report_exit_reason_name(12), "HLT");
    cr_assert_str_eq(report_exit_reason_name(30), "IO_INSTRUCTION");
    cr_assert_str_eq(report_exit_reason_name(48), "EPT_VIOLATION");
    cr_assert_str_eq(report_exit_reason_name(52), "PREEMPTION_TIMER");
    cr_assert_str_eq(report_exit_reason_name(0x80000021), "ENTRY_FAIL_GUEST_STATE");
    cr_assert_null(report_exit_reason_name(35));
    cr_assert_null(report_exit_reason_name(200));
    cr_assert_str_eq(report_hypercall_name(29), "sched_op");
    cr_assert_str_eq(report_hypercall_name(17), "xen_version");
    cr_assert_null(report_hypercall_name(11));
    cr_assert_str_eq(report_exception_name(14), "#PF");
    cr_assert_str_eq(report_interruption_type_name(0), "external");
}

Test(report, counts_match_the_synthetic_trace)
{
    struct evtrace_reader *r = synth_open("counts.hvtrace");
    struct report *rep = report_build(r, "counts.hvtrace");
    uint64_t cycles = 0;

    cr_assert_not_null(rep);
    cr_assert_eq(rep->exits, SYNTH_EXITS);
    cr_assert_eq(rep->n_exit_rows, synth_n_exit_kinds);
    for (unsigned k = 0; k < synth_n_exit_kinds; k++) {
        const struct report_exit *x = NULL;
        for (size_t i = 0; i < rep->n_exit_rows; i++)
            if (rep->exit_rows[i].reason == synth_exits[k].reason)
                x = &rep->exit_rows[i];
        cr_assert_not_null(x, "reason %u missing", synth_exits[k].reason);
        cr_assert_eq(x->count, synth_exits[k].count, "reason %u", synth_exits[k].reason);
        cr_assert_eq(x->cycles, (uint64_t)synth_exits[k].count * SYNTH_EXIT_CYCLES(synth_exits[k].reason));
        cycles += x->cycles;
    }
    for (size_t i = 1; i < rep->n_exit_rows; i++)
        cr_assert_lt(rep->exit_rows[i - 1].reason, rep->exit_rows[i].reason);
    cr_assert_eq(rep->exit_cycles, cycles);

    /* exits k = 0..99 on domain k % 3: 34, 33, 33 turns */
    cr_assert_eq(rep->n_domains, 3);
    static const unsigned turns[3] = { 34, 33, 33 };
    static const char *const names[3] = { "Domain-0", "guest1", "guest2" };
    for (unsigned d = 0; d < 3; d++) {
        cr_assert_eq(rep->domains[d].id, d);
        cr_assert_str_eq(rep->domains[d].name, names[d]);
        cr_assert_eq(rep->domains[d].exits, turns[d]);
        cr_assert_eq(rep->domains[d].instructions, (uint64_t)turns[d] * SYNTH_RUN_INSNS(d));
        cr_assert_eq(rep->domains[d].cpu_ns, (uint64_t)turns[d] * SYNTH_RUN_NS(d));
        cr_assert_eq(rep->domains[d].vcpus, 2);
        cr_assert_eq(rep->domains[d].destroyed, d == 2);
    }

    cr_assert_eq(rep->n_hypercalls, 2);
    cr_assert_eq(rep->hypercalls[0].nr, 17);
    cr_assert_eq(rep->hypercalls[0].count, 8);
    cr_assert_eq(rep->hypercalls[1].nr, 29);
    cr_assert_eq(rep->hypercalls[1].count, 12);
    /* By domain: rows sorted by (domain, nr), each domain's rows add up to its total. */
    uint64_t by_dom[3] = { 0 }, all = 0;
    for (size_t i = 0; i < rep->n_dom_hypercalls; i++) {
        const struct report_dom_hypercall *x = &rep->dom_hypercalls[i];
        cr_assert(i == 0 || x->key > rep->dom_hypercalls[i - 1].key);
        cr_assert_lt(x->key >> 32, 3);
        cr_assert((x->key & 0xffffffffu) == 17 || (x->key & 0xffffffffu) == 29);
        by_dom[x->key >> 32] += x->count;
        all += x->count;
    }
    cr_assert_eq(all, 20);
    for (unsigned d = 0; d < 3; d++)
        cr_assert_eq(by_dom[d], rep->domains[d].hypercalls, "domain %u", d);

    cr_assert_eq(rep->n_interrupts, 2);
    cr_assert_eq(rep->interrupts[0].key, 0x20);
    cr_assert_eq(rep->interrupts[0].count, 15);
    cr_assert_eq(rep->interrupts[0].with_error, 0);
    cr_assert_eq(rep->interrupts[1].key, 3 << 8 | 14);
    cr_assert_eq(rep->interrupts[1].count, 3);
    cr_assert_eq(rep->interrupts[1].with_error, 3);

    cr_assert_eq(rep->n_exceptions, 2);
    cr_assert_eq(rep->exceptions[0].vector, 13);
    cr_assert_eq(rep->exceptions[0].count, 1);
    cr_assert_eq(rep->exceptions[1].vector, 14);
    cr_assert_eq(rep->exceptions[1].count, 4);

    cr_assert_eq(rep->n_ports, 2);
    cr_assert_str_eq(rep->ports[0].name, "vif1.0");
    cr_assert_eq(rep->ports[0].rx, 10);
    cr_assert_eq(rep->ports[0].rx_bytes, 645);
    cr_assert_eq(rep->ports[0].tx, 7);
    cr_assert_eq(rep->ports[0].tx_bytes, 7 * 1514);
    cr_assert_eq(rep->ports[0].drops, 2);
    cr_assert_str_eq(rep->ports[1].name, "xenbr0");
    cr_assert_eq(rep->ports[1].tx, 5);
    cr_assert_eq(rep->ports[1].drops, 0);
    report_free(rep);
    evtrace_reader_close(r);
}

Test(report, text_is_an_aligned_table)
{
    struct evtrace_reader *r = synth_open("text.hvtrace");
    struct report *rep = report_build(r, "text.hvtrace");
    struct buf out;
    char *s;

    buf_init(&out);
    cr_assert_eq(report_write_text(rep, &out), 0);
    s = cstr(&out);
    cr_assert(strstr(s, "hvsim report: text.hvtrace\n"), "%s", s);
    cr_assert(strstr(s, "VM exits: 100, modelled cycles "), "%s", s);
    cr_assert(strstr(s, "    10  CPUID                              30    30.00 "), "%s", s);
    cr_assert(strstr(s, "    48  EPT_VIOLATION                       5     5.00 "), "%s", s);
    cr_assert(strstr(s, "    29  sched_op                           12\n"), "%s", s);
    cr_assert(strstr(s, "     0  Domain-0             2            34000    0.000017000 "), "%s", s);
    cr_assert(strstr(s, "vif1.0                   10          645          7        10598          2\n"), "%s", s);
    cr_assert(strstr(s, "(destroyed)"), "%s", s);
    free(s);
    buf_free(&out);
    report_free(rep);
    evtrace_reader_close(r);
}

Test(report, json_parses_and_holds_the_counts)
{
    struct evtrace_reader *r = synth_open("json.hvtrace");
    struct report *rep = report_build(r, "json.hvtrace");
    struct buf out;
    char *s;

    buf_init(&out);
    cr_assert_eq(report_write_json(rep, &out), 0);
    cr_assert(json_valid(&out));
    spill("report.json", &out); /* python3 -m json.tool checks it too (CMakeLists.txt) */
    s = cstr(&out);
    cr_assert(strstr(s, "{\"reason\": 10, \"name\": \"CPUID\", \"entry_failure\": false, \"count\": 30, "
                        "\"share_pct\": 30.00, \"cycles\": 30300}"),
              "%s", s);
    cr_assert(strstr(s, "\"vm_exits\": {\"total\": 100, "), "%s", s);
    cr_assert(strstr(s, "{\"port\": \"vif1.0\", \"rx\": 10, \"rx_bytes\": 645, \"tx\": 7, \"tx_bytes\": 10598, "
                        "\"dropped\": 2}"),
              "%s", s);
    cr_assert(strstr(s, "\"cpu_s\": 0.000049500"), "%s", s);
    free(s);
    buf_free(&out);
    report_free(rep);
    evtrace_reader_close(r);
}

Test(report, chrome_trace_has_the_required_fields)
{
    struct evtrace_reader *r = synth_open("chrome.hvtrace");
    struct buf out;
    char *s;

    buf_init(&out);
    cr_assert_eq(report_write_chrome(r, &out), 0);
    cr_assert(json_valid(&out));
    spill("report_chrome.json", &out);
    s = cstr(&out);
    cr_assert(strstr(s, "\"traceEvents\": ["));
    /* 100 run slices and 100 exits are complete events; 20 hypercalls etc. instants */
    cr_assert_eq(count_substr(s, "\"ph\": \"X\""), 200);
    cr_assert_eq(count_substr(s, "\"ph\": \"i\""), 100 + 20 + 18 + 5 + 4 + 22);
    cr_assert_eq(count_substr(s, "\"ph\": \"X\"") + count_substr(s, "\"ph\": \"i\""), count_substr(s, "\"ts\": "));
    cr_assert_eq(count_substr(s, "\"dur\": "), 200);
    cr_assert(strstr(s, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 0, "
                        "\"args\": {\"name\": \"Domain-0 (domain 0)\"}}"),
              "%s", s);
    cr_assert(strstr(s, "{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 3, \"tid\": 2, "
                        "\"args\": {\"name\": \"vcpu1\"}}"),
              "%s", s);
    cr_assert_null(strstr(s, "\"pid\": 0"), "pid 0 is special in Perfetto");
    /* the first run slice: domain 0 ran 500 ns up to t = 500 ns */
    cr_assert(strstr(s, "{\"name\": \"run\", \"cat\": \"cpu\", \"ph\": \"X\", \"ts\": 0.000, \"dur\": 0.500, "
                        "\"args\": {\"instructions\": 1000}, \"pid\": 1, \"tid\": 1}"),
              "%s", s);
    /* CPUID costs 1010 cycles at 2 GHz: 505 ns */
    cr_assert(strstr(s, "{\"name\": \"CPUID\", \"cat\": \"vmexit\", \"ph\": \"X\", \"ts\": 0.500, \"dur\": 0.505, "),
              "%s", s);
    free(s);
    buf_free(&out);
    evtrace_reader_close(r);
}

Test(report, svg_plots)
{
    struct evtrace_reader *r = synth_open("svg.hvtrace");
    struct report *rep = report_build(r, "svg.hvtrace");
    struct buf a, c;
    char *s;

    buf_init(&a);
    buf_init(&c);
    cr_assert_eq(report_write_svg_exits(rep, &a), 0);
    cr_assert_eq(report_write_svg_cpu(r, 50, &c), 0);
    spill("report_exits.svg", &a);
    spill("report_cpu.svg", &c);
    s = cstr(&a);
    cr_assert(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    cr_assert_eq(count_substr(s, "<rect x="), synth_n_exit_kinds);
    /* the longest bar is CPUID's, drawn first */
    cr_assert(strstr(s, ">CPUID (10)</text>\n<rect x=\"230\" y=\"43\" width=\"400\""), "%s", s);
    cr_assert(strstr(s, "</svg>\n"));
    free(s);
    s = cstr(&c);
    cr_assert_eq(count_substr(s, "<polyline"), 3);
    cr_assert(strstr(s, ">guest2 (2)</text>"), "%s", s);
    free(s);
    buf_free(&a);
    buf_free(&c);
    report_free(rep);
    evtrace_reader_close(r);
}

Test(report, same_trace_gives_identical_output)
{
    struct evtrace_reader *r1 = synth_open("same1.hvtrace"), *r2 = synth_open("same2.hvtrace");
    struct report *p1 = report_build(r1, "x"), *p2 = report_build(r2, "x");
    struct buf b1, b2;

    buf_init(&b1);
    buf_init(&b2);
    report_write_text(p1, &b1);
    report_write_json(p1, &b1);
    report_write_chrome(r1, &b1);
    report_write_svg_exits(p1, &b1);
    report_write_svg_cpu(r1, 64, &b1);
    report_write_text(p2, &b2);
    report_write_json(p2, &b2);
    report_write_chrome(r2, &b2);
    report_write_svg_exits(p2, &b2);
    report_write_svg_cpu(r2, 64, &b2);
    cr_assert_gt(b1.len, 10000);
    cr_assert_eq(b1.len, b2.len);
    cr_assert_eq(memcmp(b1.data, b2.data, b1.len), 0);
    buf_free(&b1);
    buf_free(&b2);
    report_free(p1);
    report_free(p2);
    evtrace_reader_close(r1);
    evtrace_reader_close(r2);
}

Test(report, empty_trace_gives_valid_outputs)
{
    struct evtrace_info info = { "v", 1000000000, "empty" };
    struct evtrace *t = evtrace_create("empty.hvtrace", &info, 0);
    struct evtrace_reader *r;
    struct report *rep;
    struct buf j, c, s;

    cr_assert_eq(evtrace_close(t), 0);
    r = evtrace_reader_open("empty.hvtrace", 0);
    cr_assert_not_null(r);
    rep = report_build(r, NULL);
    buf_init(&j);
    buf_init(&c);
    buf_init(&s);
    cr_assert_eq(report_write_json(rep, &j), 0);
    cr_assert_eq(report_write_chrome(r, &c), 0);
    cr_assert_eq(report_write_svg_cpu(r, 10, &s), 0);
    cr_assert(json_valid(&j));
    cr_assert(json_valid(&c));
    cr_assert_eq(rep->exits, 0);
    buf_free(&j);
    buf_free(&c);
    buf_free(&s);
    report_free(rep);
    evtrace_reader_close(r);
}
