/* hvsim's command line: `hvsim boot` boots a multiboot kernel on the simulated PC;
 * `hvsim net` runs the network alone. The only file that calls exit(). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/vtime.h"
#ifndef HVSIM_NO_NET
#include "cmd_net.h"
#endif
#include "machine.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fputs("usage: hvsim boot KERNEL [--cmdline STR] [--module PATH[=CMDLINE]]... [--mem MIB] [--smp N]\n"
          "                         [--max-time VT] [--rtc-epoch SECONDS] [--quiet]\n"
          "       hvsim net --mode nat|bridge|route [--tap PORT=IFNAME]... [--pcap DIR] [--duration SECONDS]\n"
          "       hvsim --help\n"
          "\n"
          "boot: boots a multiboot v1 kernel (ELF32, ELF64, a.out kludge; gzip accepted) on a simulated PC\n"
          "      and streams COM1 to stdout. VT is a virtual time such as 10s, 250ms or 5us.\n"
          "exit status of boot: (value << 1) | 1 for isa-debug-exit at port 0xf4, 0 on ACPI power-off,\n"
          "      2 usage or input errors, 3 triple fault, 4 virtual-time limit reached or CPU hung.\n",
          f);
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) {
        fprintf(stderr, "hvsim: error: %s: expected a number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int cmd_boot(int argc, char **argv)
{
    static const struct option opts[] = {
        { "cmdline", required_argument, 0, 'c' }, { "module", required_argument, 0, 'm' },
        { "mem", required_argument, 0, 'M' },     { "smp", required_argument, 0, 's' },
        { "max-time", required_argument, 0, 't' }, { "record", required_argument, 0, 'r' },
        { "trace", required_argument, 0, 'T' },   { "rtc-epoch", required_argument, 0, 'e' },
        { "quiet", no_argument, 0, 'q' },         { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    struct mb_module mods[64];
    struct mb_config mb = { 0 };
    uint64_t mem_mib = 128, smp = 1, epoch = 1767225600; /* 2026-01-01T00:00:00Z */
    vtime_t max_time = VTIME_NEVER;
    int opt, nmods = 0, quiet = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': mb.cmdline = optarg; break;
        case 'm': {
            if (nmods == 64) {
                fprintf(stderr, "hvsim: error: --module: at most 64 modules\n");
                return EXIT_USAGE;
            }
            char *eq = strchr(optarg, '=');
            if (eq)
                *eq = '\0';
            mods[nmods].path = optarg;
            mods[nmods++].cmdline = eq ? eq + 1 : NULL;
            break;
        }
        case 'M':
            if (parse_u64("--mem", optarg, &mem_mib))
                return EXIT_USAGE;
            if (mem_mib < 2 || mem_mib > 3072) {
                fprintf(stderr, "hvsim: error: --mem %s: expected 2 to 3072 MiB\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (parse_u64("--smp", optarg, &smp))
                return EXIT_USAGE;
            if (smp != 1) {
                fprintf(stderr, "hvsim: error: --smp %s: this hvsim models one CPU so far\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 't':
            if (vtime_parse(optarg, &max_time)) {
                fprintf(stderr, "hvsim: error: --max-time '%s': expected a virtual time like 10s, 250ms, 5us\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'e':
            if (parse_u64("--rtc-epoch", optarg, &epoch))
                return EXIT_USAGE;
            break;
        case 'r':
        case 'T':
            fprintf(stderr, "hvsim: error: --%s is not available yet in this build (record/replay is a later "
                            "milestone)\n", opt == 'r' ? "record" : "trace");
            return EXIT_USAGE;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "hvsim: error: boot needs exactly one KERNEL\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    mb.kernel = argv[optind];
    mb.mods = mods;
    mb.nmods = nmods;

    struct machine_config cfg = { .mem_bytes = mem_mib << 20, .rtc_epoch = epoch, .console = stdout };
    struct machine *m = machine_create(&cfg);
    char err[512];
    if (!m)
        return 1;
    if (machine_load_multiboot(m, &mb, err, sizeof err)) {
        fprintf(stderr, "hvsim: error: %s\n", err);
        machine_destroy(m);
        return EXIT_USAGE;
    }
    struct machine_result res;
    machine_run(m, max_time, &res);
    machine_destroy(m);

    double t = (double)res.time / 1e9;
    switch (res.end) {
    case MACHINE_END_TRIPLE_FAULT:
        fprintf(stderr, "hvsim: triple fault: the CPU shut down; last fault vector %d at RIP %#llx (t=%.9f s)\n",
                res.fault_vector, (unsigned long long)res.fault_rip, t);
        break;
    case MACHINE_END_TIME_LIMIT:
        fprintf(stderr, "hvsim: virtual-time limit reached at t=%.9f s\n", t);
        break;
    case MACHINE_END_HUNG:
        fprintf(stderr, "hvsim: the CPU halted with nothing pending that could wake it (t=%.9f s)\n", t);
        break;
    case MACHINE_END_ERROR:
        fprintf(stderr, "hvsim: the simulation stopped on an internal error (t=%.9f s)\n", t);
        break;
    default:
        break;
    }
    if (!quiet)
        fprintf(stderr, "hvsim: %s, status %d, virtual time %.9f s, %llu instructions\n",
                res.end == MACHINE_END_POWEROFF ? "powered off" : res.end == MACHINE_END_EXIT ? "debug exit"
                                                                                               : "stopped",
                res.exit_status, t, (unsigned long long)res.instructions);
    return res.exit_status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "boot"))
        return cmd_boot(argc - 1, argv + 1);
    if (!strcmp(argv[1], "net")) {
#ifndef HVSIM_NO_NET
        return cmd_net(argc - 1, argv + 1);
#else
        fprintf(stderr, "hvsim: error: this build has no network simulator\n");
        return EXIT_USAGE;
#endif
    }
    if (!strcmp(argv[1], "run") || !strcmp(argv[1], "replay") || !strcmp(argv[1], "report")) {
        fprintf(stderr, "hvsim: error: '%s' is not available yet in this build\n", argv[1]);
        return EXIT_USAGE;
    }
    fprintf(stderr, "hvsim: error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
