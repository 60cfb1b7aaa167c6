/* The scenario runner's core: machines in one world, their consoles, typed
 * input, waits on the world's clock, snapshots and the end-of-run summary. A
 * console is a stdio stream (fopencookie) the machine writes COM1 into; each
 * byte lands in the expect window at once and in DIR/NAME/console.log, flushed
 * at every line and every step of the world, so the log is whole while the run
 * goes on. */
#define _GNU_SOURCE /* fopencookie, memmem */
#include "scenario.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli.h"
#include "boot_net.h"
#include "hvaware.h"
#include "record.h"
#include "run_stop.h"

#define WIN_KEEP 8192           /* output kept before the cursor, for failure messages */
#define WIN_COMPACT (64 * 1024) /* drop consumed output once this much piles up */

/* mkdir -p: 0 or -1 with errno set. */
static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0777) && errno != EEXIST)
        return -1;
    return 0;
}

int scenario_init(struct scenario *s, const struct scenario_opts *o)
{
    memset(s, 0, sizeof *s);
    s->o = *o;
    prng_seed(&s->rng, o->seed);
    if (o->out_dir) {
        char path[4096];
        if (mkdir_p(o->out_dir)) {
            fprintf(stderr, "hvsim: error: --out %s: cannot create the directory: %s\n", o->out_dir,
                    strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s/scenario.log", o->out_dir);
        if (!(s->log = fopen(path, "w"))) {
            fprintf(stderr, "hvsim: error: %s: cannot create: %s\n", path, strerror(errno));
            return -1;
        }
        setvbuf(s->log, NULL, _IOLBF, 0);
    }
    if (!(s->w = world_create())) {
        fprintf(stderr, "hvsim: error: out of memory for the world\n");
        if (s->log)
            fclose(s->log);
        return -1;
    }
    return 0;
}

/* The console stream's write: the expect window, the log, the echo. */
static ssize_t console_write(void *cookie, const char *data, size_t n)
{
    struct scen_machine *sm = cookie;
    if (sm->win_len + n > sm->win_cap) {
        size_t cap = sm->win_cap ? sm->win_cap : 4096;
        while (cap < sm->win_len + n)
            cap *= 2;
        uint8_t *w = realloc(sm->win, cap);
        if (!w)
            return -1;
        sm->win = w;
        sm->win_cap = cap;
    }
    memcpy(sm->win + sm->win_len, data, n);
    sm->win_len += n;
    sm->total += n;
    if (sm->logf)
        fwrite(data, 1, n, sm->logf);
    if (sm->s->o.echo_console)
        for (size_t i = 0; i < n; i++) {
            struct scen_machine *last = sm->s->echo_last;
            if (last && last != sm && !last->echo_bol) { /* another console's line was open */
                putchar('\n');
                last->echo_bol = true;
            }
            sm->s->echo_last = sm;
            if (sm->echo_bol)
                printf("[%s] ", sm->name);
            putchar(data[i]);
            sm->echo_bol = data[i] == '\n';
        }
    return (ssize_t)n;
}

static char *own(struct scen_machine *sm, const char *str)
{
    if (!str)
        return NULL;
    char *d = strdup(str);
    if (d)
        sm->strs[sm->nstrs++] = d;
    return d;
}

/* The awareness summary: stderr, and DIR/NAME/hv.txt beside the console log. */
static void machine_hv_end(struct scen_machine *sm)
{
    if (!sm->hv)
        return;
    if (sm->log_path[0]) {
        char path[4200];
        snprintf(path, sizeof path, "%.*s/hv.txt", (int)(strrchr(sm->log_path, '/') - sm->log_path), sm->log_path);
        FILE *f = fopen(path, "w");
        if (f) {
            hv_write_summary(sm->hv, f);
            fclose(f);
        }
    }
    sim_hv_detach(sm->m, sm->hv, stderr);
    sm->hv = NULL;
}

static void machine_free(struct scen_machine *sm)
{
    if (!sm)
        return;
    machine_hv_end(sm);
    if (sm->m)
        machine_destroy(sm->m);
    if (sm->console)
        fclose(sm->console);
    if (sm->logf)
        fclose(sm->logf);
    for (int i = 0; i < sm->nstrs; i++)
        free(sm->strs[i]);
    free(sm->win);
    free(sm->typed);
    free(sm);
}

static bool name_ok(const char *name)
{
    if (!*name || strlen(name) >= 64 || !strcmp(name, ".") || !strcmp(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            return false;
    return true;
}

struct scen_machine *scenario_machine_find(struct scenario *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->m[i]->name, name))
            return s->m[i];
    return NULL;
}

struct scen_machine *scenario_machine_add(struct scenario *s, const char *name, const struct boot_config *bc,
                                          char *err, size_t errlen)
{
    char why[768];
    if (s->n == WORLD_MAX_MACHINES) {
        snprintf(err, errlen, "at most %d machines", WORLD_MAX_MACHINES);
        return NULL;
    }
    if (!name_ok(name)) {
        snprintf(err, errlen, "name '%s': expected 1 to 63 of A-Z a-z 0-9 _ - . (it names the log folder)", name);
        return NULL;
    }
    if (scenario_machine_find(s, name)) {
        snprintf(err, errlen, "name '%s': there is a machine of that name already", name);
        return NULL;
    }
    if (s->o.record && s->n) {
        snprintf(err, errlen, "--record %s: a record holds one machine so far; this is the second", s->o.record);
        return NULL;
    }
    struct scen_machine *sm = calloc(1, sizeof *sm);
    if (!sm) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sm->s = s;
    sm->echo_bol = true;
    snprintf(sm->name, sizeof sm->name, "%s", name);
    sm->bc = *bc;
    sm->bc.kernel = own(sm, bc->kernel);
    sm->bc.cmdline = own(sm, bc->cmdline);
    for (int i = 0; i < bc->nmods; i++) {
        sm->bc.mods[i].path = own(sm, bc->mods[i].path);
        sm->bc.mods[i].cmdline = own(sm, bc->mods[i].cmdline);
    }
    sm->bc.net = bc->net ? "lan" : NULL; /* the one network (checked by the caller) */
    sm->bc.mac = own(sm, bc->mac);
    sm->bc.pcap_dir = NULL;
    sm->bc.has_console_input = 1;
    sm->bc.stopped_outside = 1;
    sm->bc.scenario = s->o.script;
    sm->bc.seed = s->o.seed;
    sm->bc.max_time = VTIME_NEVER;
    cookie_io_functions_t io = { .write = console_write };
    sm->console = fopencookie(sm, "w", io);
    if (!sm->console) {
        snprintf(err, errlen, "out of memory for the console");
        goto fail;
    }
    setvbuf(sm->console, NULL, _IONBF, 0);
    if (s->o.out_dir) {
        char dir[4000];
        snprintf(dir, sizeof dir, "%s/%s", s->o.out_dir, name);
        snprintf(sm->log_path, sizeof sm->log_path, "%s/console.log", dir);
        if (mkdir_p(dir) || !(sm->logf = fopen(sm->log_path, "w"))) {
            snprintf(err, errlen, "%s: cannot create the console log: %s", sm->log_path, strerror(errno));
            goto fail;
        }
        setvbuf(sm->logf, NULL, _IOLBF, 0);
    }
    sm->m = boot_config_create(&sm->bc, sm->console, why, sizeof why);
    if (!sm->m) {
        snprintf(err, errlen, "%s", why);
        goto fail;
    }
    if (s->o.record) {
        sm->rec = recorder_create(s->o.record, &sm->bc, RECORD_DEFAULT_EVERY, s->o.snapshot_every, why, sizeof why);
        if (!sm->rec) {
            snprintf(err, errlen, "--record %s", why);
            goto fail;
        }
        recorder_attach(sm->rec, sm->m);
    }
    if (s->o.hv && (sm->hv = sim_hv_attach(sm->m, sm->bc.kernel, stderr)) && s->o.out_dir) {
        char dir[4100];
        snprintf(dir, sizeof dir, "%s/%s", s->o.out_dir, name);
        hv_set_console_dir(sm->hv, dir); /* DIR/NAME/console-DOMAIN.log */
    }
    /* The console input exists from power-on (empty): m:type appends to it. */
    if (machine_console_feed(sm->m, (const uint8_t *)"", 0, sm->rec ? recorder_input : NULL, sm->rec) ||
        (sm->index = world_add_machine(s->w, sm->m)) < 0) {
        snprintf(err, errlen, "out of memory for the machine");
        goto fail;
    }
    /* Machines with net = "lan" share one LAN: net.start's when the script
     * started one before, else one of their own, captured in DIR/lan0.pcap;
     * each NIC's wire in DIR/PORT.pcap (peth0 for the first, m1-peth0 ...). */
    struct netsim *started = NULL;
    struct netsim_world *lan = scen_net_lan(s, &started);
    if (sm->bc.net && !s->lan &&
        !(s->lan = lan ? boot_net_join(s->w, started, lan, s->o.out_dir, why, sizeof why)
                       : boot_net_create(s->w, "lan", s->o.seed, s->o.out_dir, why, sizeof why))) {
        snprintf(err, errlen, "%s", why);
        s->m[s->n++] = sm; /* the world holds it now: freed with the others */
        return NULL;
    }
    if (sm->bc.net && boot_net_plug(s->lan, sm->m, why, sizeof why)) {
        snprintf(err, errlen, "%s", why);
        s->m[s->n++] = sm;
        return NULL;
    }
    s->m[s->n++] = sm;
    return sm;

fail:
    if (sm->rec) {
        struct machine_result res = { .end = MACHINE_END_ERROR, .exit_status = 1 };
        recorder_finish(sm->rec, sm->m, &res, why, sizeof why);
    }
    machine_free(sm);
    return NULL;
}

vtime_t scenario_now(const struct scenario *s) { return world_now(s->w); }

static void flush_logs(struct scenario *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->m[i]->logf)
            fflush(s->m[i]->logf);
    if (s->o.echo_console)
        fflush(stdout);
}

static void collect_ends(struct scenario *s)
{
    char b[128], t[32];
    for (int i = 0; i < s->n; i++) {
        struct scen_machine *sm = s->m[i];
        if (sm->ended || !world_ended(s->w, sm->index))
            continue;
        sm->ended = true;
        sm->res = *world_result(s->w, sm->index);
        char line[256];
        snprintf(line, sizeof line, "%s: %s at t=%s s", sm->name, scenario_end_text(&sm->res, b, sizeof b),
                 cli_fmt_time(t, sm->res.time));
        scenario_log(s, line);
    }
}

/* One step of the world to t; the clock moves on even when every machine ended. */
static void advance(struct scenario *s, vtime_t t)
{
    world_run_until(s->w, t);
    collect_ends(s);
    flush_logs(s);
    if (run_stop_signal())
        return; /* stopped from outside: the machines stand where the signal found them */
    if (world_now(s->w) < t)
        evq_run_until(world_queue(s->w), t);
}

void scenario_sleep_until(struct scenario *s, vtime_t t)
{
    if (t > world_now(s->w))
        advance(s, t);
}

int scenario_wait(struct scen_machine *sm, vtime_t deadline, scen_pred_fn *pred, void *ctx)
{
    struct scenario *s = sm->s;
    for (;;) {
        if (pred(sm, ctx))
            return 1;
        if (sm->ended)
            return -1;
        if (run_stop_signal())
            return -2;
        vtime_t now = world_now(s->w);
        if (now >= deadline)
            return 0;
        vtime_t step = (now / SCEN_WATCH_PERIOD + 1) * SCEN_WATCH_PERIOD;
        advance(s, step < deadline ? step : deadline);
    }
}

int scenario_typed_append(struct scen_machine *sm, const void *data, size_t len, char *err, size_t errlen)
{
    if (sm->typed_len + len > sm->typed_cap) {
        size_t cap = sm->typed_cap ? sm->typed_cap : 256;
        while (cap < sm->typed_len + len)
            cap *= 2;
        uint8_t *t = realloc(sm->typed, cap);
        if (!t) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        sm->typed = t;
        sm->typed_cap = cap;
    }
    memcpy(sm->typed + sm->typed_len, data, len);
    sm->typed_len += len;
    return 0;
}

int scenario_type(struct scen_machine *sm, const void *data, size_t len, char *err, size_t errlen)
{
    if (sm->ended) {
        snprintf(err, errlen, "machine '%s' has ended", sm->name);
        return -1;
    }
    if (scenario_typed_append(sm, data, len, err, errlen))
        return -1;
    if (machine_console_feed(sm->m, data, len, NULL, NULL)) {
        snprintf(err, errlen, "out of memory for the console input");
        return -1;
    }
    return 0;
}

const uint8_t *scenario_console_pending(const struct scen_machine *sm, size_t *len)
{
    *len = (size_t)(sm->total - sm->cursor);
    return sm->win + (sm->cursor - sm->win_base);
}

void scenario_console_consume(struct scen_machine *sm, uint64_t to)
{
    if (to > sm->total)
        to = sm->total;
    if (to > sm->cursor)
        sm->cursor = to;
    if (sm->cursor - sm->win_base > WIN_COMPACT + WIN_KEEP) {
        size_t drop = (size_t)(sm->cursor - WIN_KEEP - sm->win_base);
        memmove(sm->win, sm->win + drop, sm->win_len - drop);
        sm->win_len -= drop;
        sm->win_base += drop;
    }
}

const uint8_t *scenario_console_tail(const struct scen_machine *sm, size_t max, size_t *len)
{
    size_t n = sm->win_len < max ? sm->win_len : max;
    const uint8_t *p = sm->win + sm->win_len - n;
    /* Start at a line when the cut falls inside one. */
    if (n < sm->win_len) {
        const uint8_t *nl = memchr(p, '\n', n);
        if (nl && nl + 1 < p + n) {
            n -= (size_t)(nl + 1 - p);
            p = nl + 1;
        }
    }
    *len = n;
    return p;
}

int scenario_snapshot(struct scen_machine *sm, struct scen_snapshot *out, char *err, size_t errlen)
{
    struct buf b;
    if (sm->ended) {
        snprintf(err, errlen, "machine '%s' has ended: there is nothing to snapshot", sm->name);
        return -1;
    }
    buf_init(&b);
    int e = machine_save(sm->m, &b);
    if (e) {
        snprintf(err, errlen, "machine '%s': the snapshot failed (%s)", sm->name, hv_strerror(e));
        buf_free(&b);
        return -1;
    }
    *out = (struct scen_snapshot){ .index = sm->index, .blob = b.data, .len = b.len,
                                   .world_time = world_now(sm->s->w), .machine_time = machine_now(sm->m),
                                   .typed_len = sm->typed_len };
    return 0;
}

void scen_snapshot_free(struct scen_snapshot *snap)
{
    free(snap->blob);
    snap->blob = NULL;
}

int scenario_restore(struct scen_machine *sm, const struct scen_snapshot *snap, char *err, size_t errlen)
{
    struct scenario *s = sm->s;
    char why[768];
    if (snap->index != sm->index || !snap->blob) {
        snprintf(err, errlen, "this snapshot is of machine '%s', not '%s'",
                 snap->index >= 0 && snap->index < s->n ? s->m[snap->index]->name : "?", sm->name);
        return -1;
    }
    if (s->o.record) {
        snprintf(err, errlen, "--record cannot record a restore yet (a record holds one linear run); run "
                 "this scenario without --record");
        return -1;
    }
    if (s->n > 1) {
        snprintf(err, errlen, "restore in a world of %d machines is not supported yet (the world's clock "
                 "goes back with the machine's)", s->n);
        return -1;
    }
    /* A fresh machine of the same configuration, with the input typed up to the
     * snapshot, then the saved state over it: the engine starts with no stale
     * translations. */
    struct machine *m = boot_config_create(&sm->bc, sm->console, why, sizeof why);
    if (!m) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    int e = machine_console_feed(m, sm->typed ? sm->typed : (const uint8_t *)"", snap->typed_len, NULL, NULL);
    if (e || (e = machine_load(m, snap->blob, snap->len, why, sizeof why))) {
        snprintf(err, errlen, "machine '%s': the snapshot does not load: %s", sm->name, e ? why : "no memory");
        machine_destroy(m);
        return -1;
    }
    world_replace_machine(s->w, sm->index, m);
    boot_net_replace(s->lan, sm->m, m); /* the cable follows; the LAN itself is not rewound */
    if (sm->hv) /* the counts go on from the restored state */
        sim_hv_move(sm->m, m, sm->hv);
    machine_destroy(sm->m);
    sm->m = m;
    sm->ended = false;
    sm->typed_len = snap->typed_len;
    /* Expect looks only at what the restored machine prints from here on. */
    scenario_console_consume(sm, sm->total);
    world_rewind(s->w, snap->world_time);
    return 0;
}

const char *scenario_end_text(const struct machine_result *res, char *buf, size_t len)
{
    switch (res->end) {
    case MACHINE_END_EXIT: snprintf(buf, len, "debug exit, status %d", res->exit_status); break;
    case MACHINE_END_POWEROFF: snprintf(buf, len, "powered off, status 0"); break;
    case MACHINE_END_TRIPLE_FAULT:
        snprintf(buf, len, "triple fault (vector %d at RIP %#llx), status 3", res->fault_vector,
                 (unsigned long long)res->fault_rip);
        break;
    case MACHINE_END_TIME_LIMIT: snprintf(buf, len, "still running when the scenario ended"); break;
    case MACHINE_END_HUNG: snprintf(buf, len, "hung (halted, nothing to wake it), status 4"); break;
    case MACHINE_END_ERROR: snprintf(buf, len, "stopped on an internal error, status 1"); break;
    case MACHINE_END_OBSERVER: snprintf(buf, len, "stopped by an observer, status 1"); break;
    }
    return buf;
}

void scenario_log(struct scenario *s, const char *text)
{
    char t[32];
    cli_fmt_time(t, world_now(s->w));
    if (s->echo_last && !s->echo_last->echo_bol) { /* --console: end the open console line */
        putchar('\n');
        s->echo_last->echo_bol = true;
    }
    printf("[%s] %s\n", t, text);
    fflush(stdout);
    if (s->log)
        fprintf(s->log, "[%s] %s\n", t, text);
}

int scenario_finish(struct scenario *s)
{
    char b[128], t[32], err[768];
    int failed = 0;
    for (int i = 0; i < s->n; i++) {
        struct scen_machine *sm = s->m[i];
        if (!sm->ended)
            machine_result_time_limit(sm->m, &sm->res);
        if (sm->rec && recorder_finish(sm->rec, sm->m, &sm->res, err, sizeof err)) {
            fprintf(stderr, "hvsim: error: %s\n", err);
            failed = 1;
        }
        sm->rec = NULL;
        printf("hvsim: run: %s: %s, t=%s s, %llu instructions, %llu console bytes%s%s\n", sm->name,
               scenario_end_text(&sm->res, b, sizeof b), cli_fmt_time(t, sm->res.time),
               (unsigned long long)sm->res.instructions, (unsigned long long)sm->total,
               sm->logf ? " in " : "", sm->logf ? sm->log_path : "");
        if (sm->logf && (fflush(sm->logf) || ferror(sm->logf))) {
            fprintf(stderr, "hvsim: error: %s: the console log could not be written whole\n", sm->log_path);
            failed = 1;
        }
    }
    fflush(stdout);
    if (boot_net_free(s->lan)) {
        fprintf(stderr, "hvsim: error: %s: a capture could not be written whole\n", s->o.out_dir);
        failed = 1;
    }
    s->lan = NULL;
    scen_net_finish(s);
    world_destroy(s->w);
    for (int i = 0; i < s->n; i++)
        machine_free(s->m[i]);
    if (s->log && fclose(s->log))
        failed = 1;
    return failed ? -1 : 0;
}
