/* `hvsim lab run LAB` and `hvsim lab check LAB` (docs/labs.md): run a lab's
 * scenario with the `lab` table, write what it recorded to DIR/results.txt, and
 * grade the student's answers with the lab's grader.lua in the scenario sandbox. */
#include "cmd_lab.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "cli.h"
#include "lab.h"
#include "run_stop.h"
#include "scenario.h"

#define DEFAULT_BUDGET 100000000ULL

static void usage(FILE *f)
{
    fputs("usage: hvsim lab run LAB [--out DIR] [--seed N] [--step] [--console]\n"
          "       hvsim lab check LAB [--answers FILE] [--out DIR] [--reuse]\n"
          "  LAB is a lab's folder (labs/NN-name: scenario.lua, README.md, grader.lua; docs/labs.md).\n"
          "  run:   runs the lab's scenario; consoles, logs and DIR/results.txt in DIR (default out/labs/NAME).\n"
          "         --step pauses at each expect until Enter (on a terminal); --seed N as `hvsim run`.\n"
          "  check: runs the scenario as `run` does, then grades FILE (default LAB/answers.txt, `key = value`\n"
          "         lines) with LAB/grader.lua: one line per question, pass or FAIL with a hint.\n"
          "         --reuse grades DIR/results.txt of an earlier run of the same scenario and hvsim instead.\n"
          "exit status: run as `hvsim run`; check 0 every answer passes, 1 some do not, 2 usage or input errors\n"
          "  (a bad answers file names its line and key) or a lab that cannot be graded.\n",
          f);
}

struct lab_opts {
    bool check, step, echo, reuse;
    const char *out, *answers;
    uint64_t seed;
};

/* FNV-1a of a file's bytes into h; -1 when it cannot be read. */
static int hash_file(const char *path, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        *h = hash_fnv1a64(*h, chunk, n);
    fclose(f);
    return 0;
}

/* What results.txt depends on: the scenario's bytes, the seed and this hvsim. */
static uint64_t run_key(const char *scenario, uint64_t seed)
{
    uint64_t h = HASH_FNV1A64_INIT;
    hash_file(scenario, &h);
    hash_file("/proc/self/exe", &h);
    return hash_fnv1a64(h, &seed, sizeof seed);
}

static int write_results(struct lab *lab, const char *path, uint64_t key, bool passed)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "hvsim: error: %s: cannot create: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# results of lab %s (what its scenario recorded with lab.record), for its grader\n", lab->name);
    fprintf(f, "# run %016llx %s\n", (unsigned long long)key, passed ? "passed" : "failed");
    for (int i = 0; i < lab->results.n; i++)
        fprintf(f, "%s = %s\n", lab->results.kv[i].key, lab->results.kv[i].value);
    if (fclose(f)) {
        fprintf(stderr, "hvsim: error: %s: cannot be written whole\n", path);
        return -1;
    }
    return 0;
}

/* results.txt of an earlier run with this key, whose scenario passed: 0; else -1. */
static int reuse_results(struct lab *lab, const char *path, uint64_t key)
{
    char line[256], want[64], err[600];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    snprintf(want, sizeof want, "# run %016llx passed\n", (unsigned long long)key);
    bool same = false;
    while (fgets(line, sizeof line, f) && line[0] == '#')
        same |= !strcmp(line, want);
    fclose(f);
    if (!same || lab_kv_read(&lab->results, path, err, sizeof err))
        return -1;
    return 0;
}

/* --step: the expect about to wait, then Enter on the terminal. */
static void step_pause(void *ctx, const char *machine, const char *text, bool pattern)
{
    static bool told;
    (void)ctx;
    fflush(stdout);
    if (!isatty(STDIN_FILENO)) {
        if (!told)
            fprintf(stderr, "hvsim: lab: --step: stdin is not a terminal, so the run does not pause\n");
        told = true;
        return;
    }
    fprintf(stderr, "[step] %s waits for %s'%s': press Enter to go on ", machine, pattern ? "pattern " : "", text);
    for (int c; (c = getchar()) != '\n' && c != EOF;)
        ;
}

static int run_scenario(struct lab *lab, const struct lab_opts *lo, const char *script, uint64_t key)
{
    struct scenario_opts o = {
        .script = script, .out_dir = lab->out, .seed = lo->seed, .budget = DEFAULT_BUDGET,
        .echo_console = lo->echo, .open_extra = lab_open_scenario, .extra_ctx = lab,
        .on_expect = lo->step ? step_pause : NULL, .what = "lab: scenario",
    };
    struct scenario s;
    char results[4200];

    run_stop_arm();
    if (scenario_init(&s, &o))
        return EXIT_USAGE;
    int failed = scenario_run_script(&s);
    vtime_t end = scenario_now(&s);
    if (scenario_finish(&s))
        failed = 1;
    snprintf(results, sizeof results, "%s/results.txt", lab->out);
    if (write_results(lab, results, key, !failed && !run_stop_signal()))
        failed = 1;
    if (run_stop_signal())
        return run_stop_report("lab", end);
    char t[32];
    if (failed) {
        fprintf(stderr, "hvsim: lab: the scenario of %s failed at t=%s s\n", lab->name, cli_fmt_time(t, end));
        return 1;
    }
    printf("hvsim: lab: %s ran to its end at t=%s s; %d results in %s\n", lab->name, cli_fmt_time(t, end),
           lab->results.n, results);
    return 0;
}

static int grade(struct lab *lab, const char *grader)
{
    struct scenario_opts o = {
        .script = grader, .budget = DEFAULT_BUDGET, .no_machines = true, .what = "lab: grader",
        .open_extra = lab_open_grader, .extra_ctx = lab,
    };
    struct scenario s;
    if (scenario_init(&s, &o))
        return EXIT_USAGE;
    int failed = scenario_run_script(&s);
    scenario_finish(&s);
    if (failed) {
        fprintf(stderr, "hvsim: lab: cannot grade: the grader %s failed\n", grader);
        return EXIT_USAGE;
    }
    if (!lab->nq) {
        fprintf(stderr, "hvsim: lab: the grader %s declared no question\n", grader);
        return EXIT_USAGE;
    }
    /* An answer to no question is a typo of a key: say so rather than grade around it. */
    for (int i = 0; i < lab->answers.n; i++) {
        int known = 0;
        for (int q = 0; q < lab->nq; q++)
            known |= !strcmp(lab->q[q].key, lab->answers.kv[i].key);
        if (known)
            continue;
        fprintf(stderr, "hvsim: lab: %s:%d: key '%s' is no question of %s (its questions:", lab->answers.path,
                lab->answers.kv[i].line, lab->answers.kv[i].key, lab->name);
        for (int q = 0; q < lab->nq; q++)
            fprintf(stderr, " %s", lab->q[q].key);
        fprintf(stderr, ")\n");
        return EXIT_USAGE;
    }
    int pass = 0;
    for (int q = 0; q < lab->nq; q++) {
        if (lab->q[q].pass)
            printf("  pass  %s\n", lab->q[q].key);
        else
            printf("  FAIL  %s: %s\n", lab->q[q].key, lab->q[q].msg);
        pass += lab->q[q].pass;
    }
    printf("hvsim: lab: %s: %d of %d questions pass\n", lab->name, pass, lab->nq);
    return pass == lab->nq ? 0 : 1;
}

static int need_file(const char *dir, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    if (access(path, R_OK)) {
        fprintf(stderr, "hvsim: error: %s: not a lab: %s cannot be read: %s\n", dir, path, strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_lab(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, 0, 'o' }, { "answers", required_argument, 0, 'a' },
        { "seed", required_argument, 0, 's' }, { "step", no_argument, 0, 'S' },
        { "console", no_argument, 0, 'c' },   { "reuse", no_argument, 0, 'r' },
        { "help", no_argument, 0, 'h' },      { 0, 0, 0, 0 },
    };
    struct lab_opts lo = { 0 };
    struct lab *lab;
    char scenario[4200], grader[4200], readme[4200], out[4200], answers[4200], err[1200];
    int opt, r;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "run") && strcmp(argv[1], "check")) {
        fprintf(stderr, "hvsim: error: lab: unknown command '%s' (run, check)\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    lo.check = !strcmp(argv[1], "check");
    optind = 1;
    argc--, argv++;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': lo.out = optarg; break;
        case 'a': lo.answers = optarg; break;
        case 's':
            if (cli_parse_u64("--seed", optarg, &lo.seed))
                return EXIT_USAGE;
            break;
        case 'S': lo.step = true; break;
        case 'c': lo.echo = true; break;
        case 'r': lo.reuse = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "hvsim: error: lab %s needs exactly one LAB folder\n", lo.check ? "check" : "run");
        return EXIT_USAGE;
    }
    if (lo.check ? lo.step || lo.seed || lo.echo : lo.answers || lo.reuse) {
        fprintf(stderr, "hvsim: error: lab %s: %s\n", lo.check ? "check" : "run",
                lo.check ? "--step, --seed and --console go with `lab run` (a check runs the lab as written)"
                         : "--answers and --reuse go with `lab check`");
        return EXIT_USAGE;
    }
    const char *dir = argv[optind];
    if (need_file(dir, "scenario.lua", scenario, sizeof scenario) ||
        need_file(dir, "README.md", readme, sizeof readme) || need_file(dir, "grader.lua", grader, sizeof grader))
        return EXIT_USAGE;
    if (!(lab = calloc(1, sizeof *lab))) {
        fprintf(stderr, "hvsim: error: out of memory\n");
        return EXIT_USAGE;
    }
    lab->dir = dir;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    const char *base = dir + dl;
    while (base > dir && base[-1] != '/')
        base--;
    snprintf(lab->name, sizeof lab->name, "%.*s", (int)(dir + dl - base), base);
    snprintf(out, sizeof out, "%s", lo.out ? lo.out : "");
    if (!lo.out)
        snprintf(out, sizeof out, "out/labs/%s", lab->name);
    lab->out = out;

    uint64_t key = run_key(scenario, lo.seed);
    if (!lo.check) {
        r = run_scenario(lab, &lo, scenario, key);
        if (!r)
            printf("hvsim: lab: answer the questions of %s in a file of `key = value` lines, then: "
                   "hvsim lab check %s --answers FILE\n", readme, dir);
        goto done;
    }
    snprintf(answers, sizeof answers, "%s", lo.answers ? lo.answers : "");
    if (!lo.answers)
        snprintf(answers, sizeof answers, "%s/answers.txt", dir);
    r = lab_kv_read(&lab->answers, answers, err, sizeof err);
    if (r) {
        if (r > 0)
            fprintf(stderr, "hvsim: error: %s: no such answers file (write `key = value` lines; docs/labs.md)\n",
                    answers);
        else
            fprintf(stderr, "hvsim: error: %s\n", err);
        r = EXIT_USAGE;
        goto done;
    }
    char results[4300];
    snprintf(results, sizeof results, "%s/results.txt", out);
    if (lo.reuse && !reuse_results(lab, results, key)) {
        printf("hvsim: lab: grading %s of an earlier run (--reuse)\n", results);
    } else {
        if (lo.reuse)
            printf("hvsim: lab: %s is not from a passed run of this scenario and hvsim: running it\n", results);
        if ((r = run_scenario(lab, &lo, scenario, key))) {
            if (r == 1)
                fprintf(stderr, "hvsim: lab: cannot grade %s: its scenario did not run to its end\n", lab->name);
            r = r == 1 ? EXIT_USAGE : r;
            goto done;
        }
    }
    r = grade(lab, grader);
done:
    lab_kv_free(&lab->results);
    lab_kv_free(&lab->answers);
    free(lab);
    return r;
}
