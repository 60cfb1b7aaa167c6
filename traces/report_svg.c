/* SVG plots written as plain text (SVG 1.1): VM exits by reason as horizontal
 * bars, and each domain's CPU use over virtual time as lines. Coordinates are
 * integers computed exactly, so the bytes depend only on the trace. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "report_priv.h"
#include "traces/report.h"

static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
#define N_COLORS (sizeof palette / sizeof palette[0])

static void xml_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': report_printf(b, "&lt;"); break;
        case '>': report_printf(b, "&gt;"); break;
        case '&': report_printf(b, "&amp;"); break;
        default: buf_put_u8(b, (uint8_t)*s);
        }
    }
}

static void svg_begin(struct buf *b, unsigned w, unsigned h, const char *title)
{
    report_printf(b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n"
                  "<rect width=\"%u\" height=\"%u\" fill=\"white\"/>\n"
                  "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">",
                  w, h, w, h, w, h);
    xml_text(b, title);
    report_printf(b, "</text>\n");
}

/* Exit rows by count, most first; equal counts by reason. */
static int exit_cmp(const void *pa, const void *pb)
{
    const struct report_exit *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return a->reason < b->reason ? -1 : a->reason > b->reason;
}

int report_write_svg_exits(const struct report *rep, struct buf *b)
{
    enum { LABEL_W = 230, BAR_W = 400, ROW_H = 22, TOP = 40 };
    struct report_exit *rows = malloc((rep->n_exit_rows + 1) * sizeof *rows);
    uint64_t max = 1;
    char share[REPORT_NUM_LEN], title[96];

    if (!rows)
        return HV_ENOMEM;
    memcpy(rows, rep->exit_rows, rep->n_exit_rows * sizeof *rows);
    qsort(rows, rep->n_exit_rows, sizeof *rows, exit_cmp);
    if (rep->n_exit_rows)
        max = rows[0].count;
    snprintf(title, sizeof title, "VM exits by reason (%" PRIu64 " in all)", rep->exits);
    svg_begin(b, LABEL_W + BAR_W + 140, TOP + ROW_H * (unsigned)rep->n_exit_rows + 10, title);
    for (size_t i = 0; i < rep->n_exit_rows; i++) {
        const struct report_exit *x = &rows[i];
        const char *name = x->reason >> 31 ? "failed VM entry" : report_exit_reason_name((uint32_t)x->reason);
        unsigned y = TOP + ROW_H * (unsigned)i;
        unsigned w = (unsigned)((x->count * BAR_W + max / 2) / max);

        report_printf(b, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", LABEL_W - 8, y + 15);
        xml_text(b, name ? name : "REASON");
        report_printf(b, " (%" PRIu64 ")</text>\n", x->reason & 0xffff);
        report_printf(b, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>\n", LABEL_W, y + 3,
                      w ? w : 1, ROW_H - 6, palette[0]);
        report_printf(b, "<text x=\"%u\" y=\"%u\">%" PRIu64 " (%s%%)</text>\n", LABEL_W + (w ? w : 1) + 6, y + 15,
                      x->count, report_fmt_ratio(share, x->count * 100, rep->exits, 2));
    }
    report_printf(b, "</svg>\n");
    free(rows);
    return b->err;
}

/* Add the part of run slice [start, end) that falls in each bin of width w. */
static void spread(uint64_t *busy, unsigned bins, uint64_t w, uint64_t start, uint64_t end)
{
    for (uint64_t i = start / w; i < bins && i * w < end; i++) {
        uint64_t lo = i * w > start ? i * w : start, hi = (i + 1) * w < end ? (i + 1) * w : end;
        busy[i] += hi - lo;
    }
}

int report_write_svg_cpu(const struct evtrace_reader *r, unsigned bins, struct buf *b)
{
    enum { LEFT = 60, TOP = 40, PLOT_W = 600, PLOT_H = 240, LEGEND_W = 180 };
    struct report *rep = report_build(r, NULL);
    const struct evtrace_rec *e = evtrace_reader_records(r);
    uint64_t *busy, w, peak = 0, ymax;
    char s[REPORT_NUM_LEN];

    if (!bins)
        bins = 100;
    if (!rep || !(busy = calloc(rep->n_domains * bins + 1, sizeof *busy))) {
        report_free(rep);
        return HV_ENOMEM;
    }
    w = rep->t_end / bins + 1; /* bins of w ns cover [0, t_end] */
    for (size_t i = 0; i < evtrace_reader_n_records(r); i++) {
        size_t d = 0;
        if (e[i].type != EVTRACE_RUN)
            continue;
        while (rep->domains[d].id != e[i].domain)
            d++;
        spread(busy + d * bins, bins, w, e[i].time - (e[i].b < e[i].time ? e[i].b : e[i].time), e[i].time);
    }
    for (size_t i = 0; i < rep->n_domains * bins; i++)
        peak = busy[i] > peak ? busy[i] : peak;
    ymax = peak / w + 1; /* whole vCPUs, at least one */
    svg_begin(b, LEFT + PLOT_W + LEGEND_W, TOP + PLOT_H + 50, "CPU use per domain over virtual time (vCPUs busy)");
    report_printf(b, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"none\" stroke=\"black\"/>\n", LEFT,
                  TOP, PLOT_W, PLOT_H);
    report_printf(b, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%" PRIu64 "</text>\n", LEFT - 6, TOP + 5, ymax);
    report_printf(b, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">0</text>\n", LEFT - 6, TOP + PLOT_H);
    report_printf(b, "<text x=\"%u\" y=\"%u\">0 s</text>\n", LEFT, TOP + PLOT_H + 18);
    report_printf(b, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%s s</text>\n", LEFT + PLOT_W, TOP + PLOT_H + 18,
                  report_fmt_seconds(s, w * bins));
    for (size_t d = 0; d < rep->n_domains; d++) {
        const char *color = palette[d % N_COLORS];
        report_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        for (unsigned i = 0; i < bins; i++) {
            /* y: busy ns over the bin's ns, scaled to ymax vCPUs over PLOT_H pixels */
            uint64_t y = (uint64_t)(((unsigned __int128)busy[d * bins + i] * PLOT_H) / ((unsigned __int128)w * ymax));
            report_printf(b, "%s%u,%" PRIu64, i ? " " : "", LEFT + (unsigned)((2 * i + 1) * PLOT_W / (2 * bins)),
                          TOP + PLOT_H - y);
        }
        report_printf(b, "\"/>\n<text x=\"%u\" y=\"%u\" fill=\"%s\">", LEFT + PLOT_W + 12, TOP + 14 + 18 * (unsigned)d,
                      color);
        xml_text(b, rep->domains[d].name ? rep->domains[d].name : "?");
        report_printf(b, " (%" PRIu64 ")</text>\n", rep->domains[d].id);
    }
    report_printf(b, "</svg>\n");
    free(busy);
    report_free(rep);
    return b->err;
}
