/* hvsim's command line: `hvsim boot` boots a multiboot kernel on the simulated PC
 * (optionally recording it and tracing its events), `hvsim replay` and `hvsim
 * report` work on what boot wrote, `hvsim net` runs the network alone. The only
 * file that calls exit(). */
#include <errno.h>
#include <sys/stat.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/vtime.h"
#include "bootcfg.h"
#include "cli.h"
#include "hvaware.h"
#include "cmd_lab.h"
#include "cmd_net.h"
#include "cmd_report.h"
#include "cmd_run.h"
#include "console_live.h"
#include "machine/machine.h"
#include "record.h"
#include "replay.h"
#include "run_stop.h"
#include "boot_net.h"

static void usage(FILE *f)
{
    fputs("usage: hvsim boot KERNEL [--cmdline STR] [--module PATH[=CMDLINE]]... [--mem MIB] [--smp N]\n"
          "                         [--max-time VT] [--rtc-epoch SECONDS] [--quiet]\n"
          "                         [--record FILE.hvrec [--checkpoint-every VT] [--snapshot-every N]]\n"
          "                         [--trace FILE.hvtrace [--trace-insns FROM:TO]] [--console-input FILE|-]\n"
          "                         [--interactive]\n"
          "                         [--hv] [--hv-consoles DIR] [--net lan [--mac MAC] [--pcap DIR]]\n"
          "       hvsim replay FILE.hvrec [--seek VT] [--salvage] [--out DIR] [--trace FILE.hvtrace] [--quiet]\n"
          "       hvsim report FILE.hvtrace [--format text|json|chrome|svg-exits|svg-cpu] [-o OUT] [--salvage]\n"
          "       hvsim run SCENARIO.lua [--out DIR] [--record FILE.hvrec] [--seed N] [--budget N] [--console]\n"
          "       hvsim lab run|check LAB [--answers FILE] [--out DIR] [--step] [--reuse]\n"
          "       hvsim net --mode nat|bridge|route [--tap PORT=IFNAME]... [--pcap DIR] [--duration SECONDS]\n"
          "                 [--replay-pcap FILE --port PORT]\n"
          "       hvsim --help\n"
          "\n"
          "boot: boots a multiboot v1 kernel (ELF32, ELF64, a.out kludge; gzip accepted) on a simulated PC\n"
          "      and streams COM1 to stdout. VT is a virtual time such as 10s, 250ms or 5us.\n"
          "      --record writes a replayable log with state-hash checkpoints every VT of virtual time\n"
          "      (default 10ms) and a snapshot every N checkpoints (default none); --trace writes an\n"
          "      event trace (exceptions, interrupts, VM exits, run slices) for `hvsim report`;\n"
          "      --trace-insns adds every instruction retired between two virtual times, disassembled.\n"
          "      --console-input feeds a file (or stdin until EOF) to COM1 as the guest reads it.\n"
          "      --interactive (or --console-input - from a terminal): keys from stdin reach COM1 as they\n"
          "      are typed (a terminal goes raw), Ctrl-] opens a prompt (continue, status, quit); they\n"
          "      are recorded where the guest received them, so `hvsim replay` plays the session back.\n"
          "      --hv: hypervisor awareness (docs/hv.md): recognise KERNEL (Xen), count its hypercalls\n"
          "      per domain (a summary on stderr at the end, hypercall records in --trace);\n"
          "      --hv-consoles DIR: each domain's console (Domain-0's console_io, DomUs' console rings) in DIR/console-dom<N>.log.\n"
          "      --net lan: an e1000 NIC (PCI 00:03.0, MAC --mac, default " BOOT_NET_DEFAULT_MAC ") cabled to\n"
          "      netsim's LAN 192.168.1.0/24 (router .1: DHCP .100-.199, DNS example.test; server .10);\n"
          "      --pcap DIR writes DIR/peth0.pcap (the NIC's wire) and DIR/lan0.pcap (nanosecond pcap).\n"
          "replay: re-runs a recorded boot from its log and checks every checkpoint and the end state;\n"
          "      --seek starts from the last snapshot at or before VT.\n"
          "exit status of boot: (value << 1) | 1 for isa-debug-exit at port 0xf4, 0 on ACPI power-off\n"
          "      or `quit` at the --interactive prompt,\n"
          "      2 usage or input errors, 3 triple fault, 4 virtual-time limit reached or CPU hung,\n"
          "      128+N ended by signal N (SIGINT 130, SIGTERM 143, SIGHUP 129) with every file closed.\n"
          "exit status of replay: 0 the replay matched the record, 5 it diverged (the first divergent\n"
          "      checkpoint is named), 2 usage errors or a log that is refused.\n"
          "run: `hvsim run SCENARIO.lua [--out DIR] [--record FILE] [--seed N]` runs a Lua scenario\n"
          "      (docs/scenarios.md); `hvsim run --help` tells more.\n"
          "lab: runs a teaching lab's scenario and grades a student's answers (docs/labs.md);\n"
          "      `hvsim lab --help` tells more.\n",
          f);
}

struct boot_opts {
    const char *record, *trace;
    const char *hv_consoles; /* --hv-consoles DIR */
    vtime_t insns_from, insns_to; /* instruction-trace window; from == to: none */
    vtime_t every;
    uint64_t snapshot_every;
    int quiet, hv;
    int interactive;
};

static int parse_boot(int argc, char **argv, struct boot_config *bc, struct boot_opts *o)
{
    static const struct option opts[] = {
        { "cmdline", required_argument, 0, 'c' },  { "module", required_argument, 0, 'm' },
        { "mem", required_argument, 0, 'M' },      { "smp", required_argument, 0, 's' },
        { "max-time", required_argument, 0, 't' }, { "record", required_argument, 0, 'r' },
        { "trace", required_argument, 0, 'T' },    { "rtc-epoch", required_argument, 0, 'e' },
        { "checkpoint-every", required_argument, 0, 'C' }, { "snapshot-every", required_argument, 0, 'S' },
        { "trace-insns", required_argument, 0, 'I' }, { "console-input", required_argument, 0, 'i' },
        { "quiet", no_argument, 0, 'q' },          { "help", no_argument, 0, 'h' },
        { "interactive", no_argument, 0, 'n' },
        { "hv", no_argument, 0, 'H' },            { "hv-consoles", required_argument, 0, 'O' },
        { "net", required_argument, 0, 'N' },     { "mac", required_argument, 0, 'A' },
        { "pcap", required_argument, 0, 'P' },
        { 0, 0, 0, 0 },
    };
    uint64_t smp;
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': bc->cmdline = optarg; break;
        case 'm': {
            if (bc->nmods == BOOT_MAX_MODULES) {
                fprintf(stderr, "hvsim: error: --module: at most %d modules\n", BOOT_MAX_MODULES);
                return EXIT_USAGE;
            }
            char *eq = strchr(optarg, '=');
            if (eq)
                *eq = '\0';
            bc->mods[bc->nmods].path = optarg;
            bc->mods[bc->nmods++].cmdline = eq ? eq + 1 : NULL;
            break;
        }
        case 'M':
            if (cli_parse_u64("--mem", optarg, &bc->mem_mib))
                return EXIT_USAGE;
            if (bc->mem_mib < 2 || bc->mem_mib > 3072) {
                fprintf(stderr, "hvsim: error: --mem %s: expected 2 to 3072 MiB\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            if (cli_parse_u64("--smp", optarg, &smp))
                return EXIT_USAGE;
            if (smp != 1) {
                fprintf(stderr, "hvsim: error: --smp %s: this hvsim models one CPU so far\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 't':
        case 'C': {
            vtime_t *dst = opt == 't' ? &bc->max_time : &o->every;
            if (vtime_parse(optarg, dst) || (opt == 'C' && *dst == 0)) {
                fprintf(stderr, "hvsim: error: --%s '%s': expected a virtual time like 10s, 250ms, 5us\n",
                        opt == 't' ? "max-time" : "checkpoint-every", optarg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'S':
            if (cli_parse_u64("--snapshot-every", optarg, &o->snapshot_every))
                return EXIT_USAGE;
            break;
        case 'e':
            if (cli_parse_u64("--rtc-epoch", optarg, &bc->rtc_epoch))
                return EXIT_USAGE;
            break;
        case 'N':
            if (boot_net_parse(optarg)) {
                fprintf(stderr, "hvsim: error: --net %s: expected lan (netsim's LAN 192.168.1.0/24)\n", optarg);
                return EXIT_USAGE;
            }
            bc->net = optarg;
            break;
        case 'A': {
            uint8_t mac[6];
            if (boot_net_parse_mac(optarg, mac)) {
                fprintf(stderr, "hvsim: error: --mac %s: expected a unicast MAC such as %s\n", optarg,
                        BOOT_NET_DEFAULT_MAC);
                return EXIT_USAGE;
            }
            bc->mac = optarg;
            break;
        }
        case 'P': bc->pcap_dir = optarg; break;
        case 'r': o->record = optarg; break;
        case 'T': o->trace = optarg; break;
        case 'H': o->hv = 1; break;
        case 'O': o->hv = 1; o->hv_consoles = optarg; break;
        case 'i':
            bc->console_input = optarg;
            bc->has_console_input = 1;
            break;
        case 'I': {
            char *colon = strchr(optarg, ':');
            if (colon)
                *colon = '\0';
            if (!colon || vtime_parse(optarg, &o->insns_from) || vtime_parse(colon + 1, &o->insns_to) ||
                o->insns_to <= o->insns_from) {
                fprintf(stderr, "hvsim: error: --trace-insns: expected FROM:TO virtual times with FROM < TO, "
                                "such as 1ms:2ms\n");
                return EXIT_USAGE;
            }
            break;
        }
        case 'q': o->quiet = 1; break;
        case 'n': o->interactive = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "hvsim: error: boot needs exactly one KERNEL\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!o->record && (o->every != RECORD_DEFAULT_EVERY || o->snapshot_every)) {
        fprintf(stderr, "hvsim: error: --checkpoint-every and --snapshot-every go with --record FILE\n");
        return EXIT_USAGE;
    }
    /* stdin from a terminal cannot be read to its end before the run: a
     * person is typing, so it is live. */
    if (bc->console_input && !strcmp(bc->console_input, "-") && isatty(STDIN_FILENO))
        o->interactive = 1;
    if (o->interactive) {
        if (bc->console_input && strcmp(bc->console_input, "-")) {
            fprintf(stderr, "hvsim: error: --interactive takes keys from stdin; it does not go with "
                            "--console-input %s\n", bc->console_input);
            return EXIT_USAGE;
        }
        bc->console_input = NULL;
        bc->has_console_input = 1;
        bc->stopped_outside = 1; /* `quit` at the prompt ends the run where it stands */
    }
    if ((bc->mac || bc->pcap_dir) && !bc->net) {
        fprintf(stderr, "hvsim: error: --mac and --pcap go with --net lan\n");
        return EXIT_USAGE;
    }
    if (bc->net && o->interactive) {
        fprintf(stderr, "hvsim: error: --net does not go with --interactive yet\n");
        return EXIT_USAGE;
    }
    if (bc->pcap_dir && mkdir(bc->pcap_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "hvsim: error: --pcap: cannot create directory %s: %s\n", bc->pcap_dir, strerror(errno));
        return EXIT_USAGE;
    }
    bc->kernel = argv[optind];
    return -1;
}

/* The whole input is read before the run (a file, or stdin until EOF): what
 * enters the guest and when is then a function of the bytes alone. */
static int feed_console(struct machine *m, const char *path, struct recorder *rec)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    size_t len = 0, cap = 4096;
    uint8_t *data = malloc(cap);
    if (!f || !data) {
        fprintf(stderr, "hvsim: error: --console-input %s: cannot open: %s\n", path, strerror(errno));
        free(data);
        return -1;
    }
    for (size_t n; (n = fread(data + len, 1, cap - len, f)) > 0;) {
        len += n;
        if (len == cap) {
            uint8_t *d = realloc(data, cap *= 2);
            if (!d)
                break;
            data = d;
        }
    }
    if (f != stdin)
        fclose(f);
    int r = machine_console_feed(m, data, len, rec ? recorder_input : NULL, rec);
    free(data);
    return r;
}

/* Close what the run wrote; nonzero when something could not be written whole. */
static int boot_close(struct machine *m, struct recorder *rec, struct evtrace *trace, const char *trace_path,
                      const struct machine_result *res)
{
    char err[768];
    int failed = 0;
    if (rec && recorder_finish(rec, m, res, err, sizeof err)) {
        fprintf(stderr, "hvsim: error: %s\n", err);
        failed = 1;
    }
    if (trace && cli_trace_close(trace, trace_path))
        failed = 1;
    machine_destroy(m);
    return failed;
}

static int cmd_boot(int argc, char **argv)
{
    struct boot_config bc;
    struct boot_opts o = { .every = RECORD_DEFAULT_EVERY };
    struct recorder *rec = NULL;
    struct evtrace *trace = NULL;
    struct console_live *live = NULL;
    bool quit = false;
    struct hv *hv = NULL;
    struct machine_result res = { .end = MACHINE_END_ERROR, .exit_status = 1 };
    char err[768];
    int r;

    boot_config_defaults(&bc);
    if ((r = parse_boot(argc, argv, &bc, &o)) >= 0)
        return r;
    /* The console reaches a pipe or file line by line, as it is produced (an
     * interactive run also flushes it between steps, for prompts). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    run_stop_arm();
    struct machine *m = boot_config_create(&bc, stdout, err, sizeof err);
    if (!m) {
        fprintf(stderr, "hvsim: error: %s\n", err);
        return EXIT_USAGE;
    }
    if (o.record) {
        rec = recorder_create(o.record, &bc, o.every, (unsigned)o.snapshot_every, err, sizeof err);
        if (!rec) {
            fprintf(stderr, "hvsim: error: --record %s\n", err);
            machine_destroy(m);
            return EXIT_USAGE;
        }
        recorder_attach(rec, m);
    }
    if (bc.console_input && feed_console(m, bc.console_input, rec))
        goto fail;
    if (o.hv && (hv = sim_hv_attach(m, bc.kernel, stderr)) && o.hv_consoles)
        hv_set_console_dir(hv, o.hv_consoles);
    if (o.trace) {
        char label[512];
        snprintf(label, sizeof label, "boot %s", bc.kernel);
        if (!(trace = cli_trace_open(o.trace, m, label)))
            goto fail;
        machine_set_trace(m, trace);
        if (hv)
            hv_set_trace(hv, trace);
        if (o.insns_to > o.insns_from)
            machine_trace_insns(m, o.insns_from, o.insns_to);
    }
    if (o.interactive) {
        /* Last: the terminal goes raw only once nothing else can fail. */
        live = console_live_create(m, STDIN_FILENO, rec, o.record, trace, o.quiet, err, sizeof err);
        if (!live) {
            fprintf(stderr, "hvsim: error: %s\n", err);
            goto fail;
        }
        console_live_run(live, bc.max_time, &res);
        quit = console_live_quit(live);
        console_live_destroy(live); /* the terminal as it was, before the last lines */
    } else {
        boot_run(m, &bc, bc.max_time, &res);
    }
    sim_hv_detach(m, hv, o.quiet ? NULL : stderr);
    int failed = boot_close(m, rec, trace, o.trace, &res);
    if (boot_status_is_signal(res.exit_status)) {
        fflush(stdout);
        if (!o.quiet)
            fprintf(stderr, "hvsim: stopped from outside, virtual time %.9f s, %llu instructions\n",
                    (double)res.time / 1e9, (unsigned long long)res.instructions);
        r = run_stop_report("boot", res.time);
        return failed ? 1 : r;
    }
    if (quit) {
        if (!o.quiet)
            fprintf(stderr, "hvsim: quit at the prompt at t=%.9f s, %llu instructions\n", (double)res.time / 1e9,
                    (unsigned long long)res.instructions);
        return failed;
    }
    cli_print_result(&res, o.quiet);
    return failed ? 1 : res.exit_status;

fail:
    sim_hv_detach(m, hv, NULL);
    boot_close(m, rec, trace, o.trace, &(struct machine_result){ 0 });
    return EXIT_USAGE;
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
    if (!strcmp(argv[1], "replay"))
        return cmd_replay(argc - 1, argv + 1);
    if (!strcmp(argv[1], "report"))
        return cmd_report(argc - 1, argv + 1);
    if (!strcmp(argv[1], "net"))
        return cmd_net(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "lab"))
        return cmd_lab(argc - 1, argv + 1);
    fprintf(stderr, "hvsim: error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
