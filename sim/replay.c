/* `hvsim replay FILE.hvrec [--seek VT] [--salvage] [--out DIR] [--trace FILE]`:
 * rebuilds the machine from the log's configuration (refusing binaries that no
 * longer hash to the recorded values), runs it with the recorded checkpoint
 * period and checks every checkpoint and the end state with replay_check. With
 * --seek it first restores the last snapshot at or before VT. */
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "bootcfg.h"
#include "cli.h"
#include "traces/reclog.h"
#include "traces/replay_check.h"

/* The recorded console input, served to the machine in order. */
struct input_cursor {
    const struct reclog_reader *r;
    size_t i, n;
    size_t byte; /* within input i */
    bool missed;  /* the run went past input i without stopping at it */
    uint64_t missed_at;
};

static int input_peek(void *opaque, vtime_t *time, uint64_t *icount, uint8_t *byte)
{
    struct input_cursor *c = opaque;
    while (c->i < c->n) {
        const struct reclog_input *in = reclog_reader_input(c->r, c->i);
        if (in->kind == RECLOG_INPUT_CONSOLE && c->byte < in->len) {
            *time = in->time;
            *icount = in->icount;
            *byte = in->data[c->byte];
            return 1;
        }
        c->i++;
        c->byte = 0;
    }
    return 0;
}

static void input_pop(void *opaque)
{
    struct input_cursor *c = opaque;
    c->byte++;
}

static void input_missed(void *opaque, uint64_t icount_now)
{
    struct input_cursor *c = opaque;
    c->missed = true;
    c->missed_at = icount_now;
}

struct replayer {
    struct replay_check *check;
    const struct reclog_end *end;
    size_t first;      /* checkpoints restored from a snapshot, not replayed */
    int salvaged_done; /* a log without an end: every recorded checkpoint matched */
    int ran_past;      /* the replay went on after the recorded end */
    vtime_t past_at;
};

static int replay_tick(void *opaque, struct machine *m)
{
    struct replayer *rp = opaque;
    struct reclog_hash hashes[MACHINE_N_HASHES];

    if (!replay_check_next(rp->check)) {
        if (!rp->end) {
            rp->salvaged_done = 1;
            return 1;
        }
        if (machine_now(m) > rp->end->time) {
            rp->ran_past = 1;
            rp->past_at = machine_now(m);
            return 1;
        }
        return 0; /* the end check follows */
    }
    size_t n = machine_hashes(m, hashes, MACHINE_N_HASHES);
    if (replay_check_checkpoint(rp->check, machine_now(m), machine_instructions(m), hashes, n))
        return 1;
    /* A salvaged log: stop after the last checkpoint that was kept. */
    if (!rp->end && !replay_check_next(rp->check)) {
        rp->salvaged_done = 1;
        return 1;
    }
    return 0;
}

/* Restore the last snapshot at or before t; the checkpoints up to it count as
 * matched. 0, or EXIT_USAGE with a message. */
static int seek(struct reclog_reader *r, const char *path, struct machine *m, struct replayer *rp, vtime_t t)
{
    struct reclog_snapshot_info info;
    char err[512], tb[32];
    int i = reclog_reader_snapshot_find(r, t);

    if (i < 0) {
        fprintf(stderr, "hvsim: error: %s: --seek: no snapshot at or before t=%s s (%zu snapshots; record "
                "with --snapshot-every N)\n", path, cli_fmt_time(tb, t), reclog_reader_n_snapshots(r));
        return EXIT_USAGE;
    }
    if (reclog_reader_snapshot_info(r, (size_t)i, &info))
        return EXIT_USAGE;
    void *blob = malloc(info.len ? info.len : 1);
    if (!blob || reclog_reader_snapshot_load(r, (size_t)i, blob)) {
        fprintf(stderr, "hvsim: error: %s: snapshot %d cannot be read\n", path, i);
        free(blob);
        return EXIT_USAGE;
    }
    int e = machine_load(m, blob, info.len, err, sizeof err);
    free(blob);
    if (e) {
        fprintf(stderr, "hvsim: error: %s: snapshot %d: %s\n", path, i, err);
        return EXIT_USAGE;
    }
    /* The snapshot was taken right after a checkpoint at the same time and count. */
    size_t n = reclog_reader_n_checkpoints(r), k = 0;
    while (k < n && reclog_reader_checkpoint(r, k)->time <= info.time)
        k++;
    for (size_t j = 0; j < k; j++) {
        const struct reclog_checkpoint *cp = reclog_reader_checkpoint(r, j);
        replay_check_checkpoint(rp->check, cp->time, cp->icount, cp->hashes, cp->n_hashes);
    }
    rp->first = k;
    fprintf(stderr, "hvsim: replay: restored snapshot %d at t=%s s (taken with checkpoint %zu)\n", i,
            cli_fmt_time(tb, info.time), k ? k - 1 : 0);
    return 0;
}

static FILE *open_console(const char *dir)
{
    char path[4096];
    if (!dir) {
        setvbuf(stdout, NULL, _IOLBF, 0); /* a pipe gets each line as it is replayed */
        return stdout;
    }
    if (mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "hvsim: error: --out %s: cannot create the directory: %s\n", dir, strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/console.log", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        fprintf(stderr, "hvsim: error: %s: cannot create the console log: %s\n", path, strerror(errno));
    else
        setvbuf(f, NULL, _IOLBF, 0); /* readable line by line while the replay runs */
    return f;
}

/* Print the verdict; returns the exit status. */
static int verdict(struct replayer *rp, const struct machine_result *res, struct machine *m)
{
    struct reclog_hash hashes[MACHINE_N_HASHES];
    size_t matched;

    if (!replay_check_diverged(rp->check) && res->end != MACHINE_END_OBSERVER) {
        size_t n = machine_hashes(m, hashes, MACHINE_N_HASHES);
        replay_check_end(rp->check, res->time, res->instructions, res->exit_status, hashes, n);
    }
    matched = replay_check_n_matched(rp->check) - rp->first;
    if (replay_check_diverged(rp->check)) {
        fprintf(stderr, "hvsim: replay: %s\n", replay_check_message(rp->check));
        return EXIT_DIVERGED;
    }
    if (rp->ran_past) {
        char a[32], b[32];
        fprintf(stderr, "hvsim: replay: diverged after the last checkpoint: the replay ran on to t=%s s, past "
                "the recorded end at t=%s s\n", cli_fmt_time(a, rp->past_at), cli_fmt_time(b, rp->end->time));
        return EXIT_DIVERGED;
    }
    if (rp->salvaged_done || !rp->end)
        fprintf(stderr, "hvsim: replay: matched %zu checkpoints (salvaged log: no end state to check)\n", matched);
    else
        fprintf(stderr, "hvsim: replay: matched %zu checkpoints and the end state\n", matched);
    return 0;
}

static int replay_run(struct reclog_reader *r, const char *path, vtime_t seek_to, int do_seek, const char *out,
                      const char *trace_path, int quiet)
{
    struct boot_config bc;
    struct replayer rp = { .end = reclog_reader_end(r) };
    uint64_t every;
    char err[768];
    int status = EXIT_USAGE;

    if (boot_config_from_log(&bc, r, path, err, sizeof err) ||
        boot_kv_get_u64(r, path, "checkpoint_every_ns", 0, &every, err, sizeof err) ||
        boot_config_check_binaries(&bc, reclog_reader_header(r), path, err, sizeof err)) {
        fprintf(stderr, "hvsim: error: %s\n", err);
        return EXIT_USAGE;
    }
    if (do_seek && bc.net) {
        /* A snapshot holds the machine, not netsim (leases, frames on the wire):
         * from one, the network would start afresh and the run diverge. */
        fprintf(stderr, "hvsim: error: %s: --seek: the record has a NIC on netsim's LAN (net = %s), whose state "
                        "snapshots do not hold yet; replay it from the start\n", path, bc.net);
        return EXIT_USAGE;
    }
    size_t ncp = reclog_reader_n_checkpoints(r);
    rp.check = replay_check_create(ncp ? reclog_reader_checkpoint(r, 0) : NULL, ncp, rp.end);
    FILE *console = open_console(out);
    if (!rp.check || !console)
        goto out;
    struct machine *m = boot_config_create(&bc, console, err, sizeof err);
    if (!m) {
        fprintf(stderr, "hvsim: error: %s: %s\n", path, err);
        goto out_after_console;
    }
    struct input_cursor cursor = { .r = r, .n = reclog_reader_n_inputs(r) };
    struct machine_input_src src = { .peek = input_peek, .pop = input_pop, .missed = input_missed,
                                     .opaque = &cursor };
    if (bc.has_console_input && machine_console_replay(m, &src)) {
        fprintf(stderr, "hvsim: error: %s: out of memory for the console input\n", path);
        goto out_after_machine;
    }
    if (do_seek && (status = seek(r, path, m, &rp, seek_to)))
        goto out_after_machine;
    /* After a seek, the bytes that entered before the snapshot are in it. */
    while (do_seek && cursor.i < cursor.n && reclog_reader_input(r, cursor.i)->icount < machine_instructions(m))
        cursor.i++;
    if (!ncp && !rp.end) {
        fprintf(stderr, "hvsim: error: %s: nothing to replay: no checkpoint and no end chunk were kept\n", path);
        status = EXIT_USAGE;
        goto out_after_machine;
    }
    struct evtrace *trace = NULL;
    if (trace_path) {
        char label[512];
        snprintf(label, sizeof label, "replay %s", path);
        if (!(trace = cli_trace_open(trace_path, m, label)))
            goto out_after_machine;
        machine_set_trace(m, trace);
    }
    if (every)
        machine_set_tick(m, every, replay_tick, &rp);
    /* A run a scenario ended from outside stopped at the end chunk's time (the
     * first instruction-block boundary at or after the scenario's last step). */
    /* A boot a signal ended (end status 128+signo, run_stop.h) stopped the same way. */
    vtime_t limit = bc.max_time;
    bool by_signal = rp.end && boot_status_is_signal(rp.end->exit_status);
    if (((bc.stopped_outside && rp.end && rp.end->exit_status == 4) || by_signal) && rp.end->time < limit)
        limit = rp.end->time;
    struct machine_result res;
    boot_run(m, &bc, limit, &res);
    if (by_signal && res.end == MACHINE_END_TIME_LIMIT && res.time == rp.end->time)
        res.exit_status = rp.end->exit_status;
    if (res.end != MACHINE_END_OBSERVER)
        cli_print_result(&res, quiet);
    if (cursor.missed) {
        const struct reclog_input *in = reclog_reader_input(r, cursor.i);
        fprintf(stderr, "hvsim: replay: diverged at input %zu (console byte at t=%llu ns, instruction %llu): the "
                        "replay passed instruction %llu without reaching it\n", cursor.i,
                (unsigned long long)in->time, (unsigned long long)in->icount, (unsigned long long)cursor.missed_at);
        status = 5;
    } else {
        status = verdict(&rp, &res, m);
    }
    if (trace && cli_trace_close(trace, trace_path) && status == 0)
        status = 1;
out_after_machine:
    machine_destroy(m);
out_after_console:
    if (console != stdout)
        fclose(console);
out:
    replay_check_free(rp.check);
    return status;
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        { "seek", required_argument, 0, 's' }, { "salvage", no_argument, 0, 'S' },
        { "out", required_argument, 0, 'o' },  { "trace", required_argument, 0, 'T' },
        { "quiet", no_argument, 0, 'q' },      { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *out = NULL, *trace = NULL;
    vtime_t seek_to = 0;
    int opt, do_seek = 0, quiet = 0;
    unsigned flags = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (vtime_parse(optarg, &seek_to)) {
                fprintf(stderr, "hvsim: error: --seek '%s': expected a virtual time like 2s, 250ms\n", optarg);
                return EXIT_USAGE;
            }
            do_seek = 1;
            break;
        case 'S': flags |= RECLOG_SALVAGE; break;
        case 'o': out = optarg; break;
        case 'T': trace = optarg; break;
        case 'q': quiet = 1; break;
        case 'h':
            puts("usage: hvsim replay FILE.hvrec [--seek VT] [--salvage] [--out DIR] [--trace FILE] [--quiet]");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "hvsim: error: replay needs exactly one FILE.hvrec\n");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct reclog_reader *r = reclog_reader_open(path, flags); /* logs "PATH: chunk N at offset X: ..." */
    if (!r) {
        fprintf(stderr, "hvsim: error: %s: the log is refused (see above)%s\n", path,
                flags & RECLOG_SALVAGE ? "" : "; --salvage replays the chunks before the damage");
        return EXIT_USAGE;
    }
    struct reclog_salvage sv;
    reclog_reader_salvage_info(r, &sv);
    if (sv.damage && *sv.damage)
        fprintf(stderr, "hvsim: replay: %s: salvaged %llu chunks (%llu of %llu bytes): %s\n", path,
                (unsigned long long)sv.chunks_kept, (unsigned long long)sv.bytes_kept,
                (unsigned long long)sv.file_size, sv.damage);
    int status = replay_run(r, path, seek_to, do_seek, out, trace, quiet);
    reclog_reader_close(r);
    return status;
}
