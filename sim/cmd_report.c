/* `hvsim report FILE.hvtrace [--format text|json|chrome|svg-exits|svg-cpu] [-o OUT]`:
 * builds the report of traces/report.h from an event trace and writes it to OUT
 * (stdout by default). The output depends only on the trace. */
#include "cmd_report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli.h"
#include "traces/evtrace.h"
#include "traces/report.h"

#define SVG_CPU_BINS 100

static int write_out(const char *path, const struct buf *b)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "hvsim: error: -o %s: cannot create the file\n", path);
        return -1;
    }
    size_t n = fwrite(b->data, 1, b->len, f);
    int bad = n != b->len || fflush(f) != 0;
    if (path && fclose(f) != 0)
        bad = 1;
    if (bad) {
        fprintf(stderr, "hvsim: error: %s: could not write the report\n", path ? path : "(stdout)");
        return -1;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, 0, 'f' }, { "output", required_argument, 0, 'o' },
        { "salvage", no_argument, 0, 's' },      { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    static const char *const formats[] = { "text", "json", "chrome", "svg-exits", "svg-cpu" };
    const char *format = "text", *out = NULL;
    unsigned flags = 0;
    int opt, fmt = -1;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "ho:f:", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 's': flags |= EVTRACE_SALVAGE; break;
        case 'h':
            puts("usage: hvsim report FILE.hvtrace [--format text|json|chrome|svg-exits|svg-cpu] [-o OUT] "
                 "[--salvage]");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    for (int i = 0; i < (int)(sizeof formats / sizeof formats[0]); i++)
        if (!strcmp(format, formats[i]))
            fmt = i;
    if (fmt < 0) {
        fprintf(stderr, "hvsim: error: --format '%s': expected text, json, chrome, svg-exits or svg-cpu\n", format);
        return EXIT_USAGE;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "hvsim: error: report needs exactly one FILE.hvtrace\n");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct evtrace_reader *r = evtrace_reader_open(path, flags); /* logs "PATH: chunk N ..." when refused */
    if (!r) {
        fprintf(stderr, "hvsim: error: %s: not a readable event trace (see above)\n", path);
        return EXIT_USAGE;
    }
    struct report *rep = report_build(r, path);
    struct buf b;
    int e = HV_ENOMEM;
    buf_init(&b);
    if (rep) {
        switch (fmt) {
        case 0: e = report_write_text(rep, &b); break;
        case 1: e = report_write_json(rep, &b); break;
        case 2: e = report_write_chrome(r, &b); break;
        case 3: e = report_write_svg_exits(rep, &b); break;
        default: e = report_write_svg_cpu(r, SVG_CPU_BINS, &b); break;
        }
    }
    int status = 0;
    if (e) {
        fprintf(stderr, "hvsim: error: %s: cannot build the report (%s)\n", path, hv_strerror(e));
        status = 1;
    } else if (write_out(out, &b)) {
        status = 1;
    }
    buf_free(&b);
    report_free(rep);
    evtrace_reader_close(r);
    return status;
}
