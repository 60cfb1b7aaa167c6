/* `hvsim run SCENARIO.lua`: parse the command line, run the script in a world
 * (sim/scenario*.c), print a summary line per machine and the verdict. */
#include "cmd_run.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_stop.h"
#include "scenario.h"

#define DEFAULT_BUDGET 100000000ULL /* Lua instructions */

static void usage(FILE *f)
{
    fputs("usage: hvsim run SCENARIO.lua [--out DIR] [--record FILE.hvrec] [--seed N] [--budget N] [--console] [--hv]\n"
          "  runs a Lua scenario (docs/scenarios.md): it boots machines, types into their consoles and\n"
          "  expects output, on the simulation's virtual clock.\n"
          "  --out DIR      DIR/NAME/console.log per machine (written as produced), DIR/scenario.log\n"
          "  --record FILE  record the (single) machine's run; `hvsim replay FILE` checks it\n"
          "  --seed N       seed of math.random (default 0)\n"
          "  --budget N     Lua instructions before the script counts as a runaway (default 100000000)\n"
          "  --console      also copy every console to stdout, each line prefixed with [NAME]\n"
          "  --hv           hypervisor awareness (docs/hv.md): hypercalls per domain, summarised on stderr\n"
          "                 and in DIR/NAME/hv.txt (domain ids, lifecycle); each domain's console in DIR/NAME/console-dom<N>.log\n"
          "exit status: 0 every expectation held, 1 the scenario failed (file:line on stderr), 2 usage errors,\n"
          "  128+N a signal N (SIGINT, SIGTERM, SIGHUP) ended the run; consoles, logs and --record are closed.\n",
          f);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, 0, 'o' },  { "record", required_argument, 0, 'r' },
        { "seed", required_argument, 0, 's' }, { "budget", required_argument, 0, 'b' },
        { "console", no_argument, 0, 'c' },    { "help", no_argument, 0, 'h' },
        { "hv", no_argument, 0, 'H' },
        { 0, 0, 0, 0 },
    };
    struct scenario_opts o = { .budget = DEFAULT_BUDGET };
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': o.out_dir = optarg; break;
        case 'r': o.record = optarg; break;
        case 's':
            if (cli_parse_u64("--seed", optarg, &o.seed))
                return EXIT_USAGE;
            break;
        case 'b':
            if (cli_parse_u64("--budget", optarg, &o.budget))
                return EXIT_USAGE;
            if (!o.budget) {
                fprintf(stderr, "hvsim: error: --budget 0: expected at least 1 Lua instruction\n");
                return EXIT_USAGE;
            }
            break;
        case 'c': o.echo_console = true; break;
        case 'H': o.hv = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "hvsim: error: run needs exactly one SCENARIO.lua\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    o.script = argv[optind];
    FILE *f = fopen(o.script, "r");
    if (!f) {
        fprintf(stderr, "hvsim: error: %s: cannot open the scenario: %s\n", o.script, strerror(errno));
        return EXIT_USAGE;
    }
    fclose(f);

    struct scenario s;
    run_stop_arm(); /* before the machines join the world: they read its flag */
    if (scenario_init(&s, &o))
        return EXIT_USAGE;
    int failed = scenario_run_script(&s);
    vtime_t end = scenario_now(&s);
    uint64_t expects = s.expects;
    if (scenario_finish(&s))
        failed = 1;
    char t[32];
    if (run_stop_signal())
        return run_stop_report("run", end);
    if (failed)
        fprintf(stderr, "hvsim: run: %s failed at t=%s s\n", o.script, cli_fmt_time(t, end));
    else
        printf("hvsim: run: %s passed: %llu expectations held, t=%s s\n", o.script, (unsigned long long)expects,
               cli_fmt_time(t, end));
    return failed ? 1 : 0;
}
