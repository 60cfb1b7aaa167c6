/* The scenario runner's core (`hvsim run`): the machines a script boots in one
 * world, their consoles (captured for `expect`, logged under --out as they are
 * produced), console input typed by the script, waits on the world's clock and
 * snapshots. The Lua side (scenario_api.c, scenario_sandbox.c) calls only this. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/prng.h"
#include "base/vtime.h"
#include "bootcfg.h"
#include "machine/machine.h"
#include "world.h"

/* How often a wait that watches a console or a machine's end looks at it: a
 * step of the world ends on every whole millisecond of virtual time, so an
 * expect returns at the first such boundary after the match was printed. */
#define SCEN_WATCH_PERIOD VTIME_MS

struct lua_State;
struct recorder;
struct scen_machine;
struct scen_net;
struct netsim;
struct netsim_world;

struct scenario_opts {
    const char *script;    /* as given on the command line */
    const char *out_dir;   /* NULL: no logs */
    const char *record;    /* NULL: no record */
    uint64_t seed;
    uint64_t budget;       /* Lua instructions before a script counts as runaway */
    bool echo_console;     /* --console: every console to stdout too, lines prefixed "[name] " */
    bool hv;               /* --hv: hypervisor awareness per machine (sim/hvaware.c) */
    unsigned snapshot_every; /* with record: a snapshot every N checkpoints (0: none) */
    /* `hvsim lab` (sim/lab.h): more globals for the script (the `lab` table, or a
     * grader's), opened before names go strict; a grader has no machine or
     * network calls; on_expect is --step's pause before an expect waits. */
    void (*open_extra)(struct lua_State *L, void *ctx);
    void *extra_ctx;
    bool no_machines;
    void (*on_expect)(void *ctx, const char *machine, const char *text, bool pattern);
    const char *what;      /* names the script in failure messages: "run" (NULL), "lab grader" */
};

struct scenario {
    struct scenario_opts o;
    struct world *w;
    struct scen_machine *m[WORLD_MAX_MACHINES];
    int n;
    struct prng rng;
    FILE *log;             /* DIR/scenario.log, or NULL */
    uint64_t expects;      /* expectations that held */
    struct scen_machine *echo_last; /* --console: the machine whose bytes went out last */
    uint64_t lua_used;     /* Lua instructions run so far (counted in steps of the hook) */
    struct scen_net *net;  /* net.start's network on the world's queue, or NULL (scenario_net.c) */
    struct boot_net *lan;  /* the LAN of the machines booted with net = "lan", or NULL */
};

/* A machine the script booted. */
struct scen_machine {
    struct scenario *s;
    int index;             /* in the world */
    char name[64];
    struct boot_config bc; /* strings owned by the machine (freed with it) */
    char *strs[3 + 2 * BOOT_MAX_MODULES];
    int nstrs;
    struct machine *m;
    FILE *console;         /* the machine's COM1, a stream into scen_console_write */
    FILE *logf;            /* DIR/NAME/console.log (line-buffered, flushed every step), or NULL */
    char log_path[4096];
    uint8_t *win;          /* console output from win_base on: what expect searches */
    size_t win_len, win_cap;
    uint64_t win_base, cursor, total; /* absolute byte offsets of the output */
    bool echo_bol;         /* --console: at the start of a line */
    uint8_t *typed;        /* every byte typed so far (a restore feeds the prefix again) */
    size_t typed_len, typed_cap;
    struct recorder *rec;
    struct hv *hv;         /* --hv and the image recognised, else NULL */
    uint64_t config_key;   /* scenario_config_key's, once computed */
    bool config_key_known;
    bool ended;
    struct machine_result res;
};

/* A machine's saved state (m:snapshot()). */
struct scen_snapshot {
    int index;             /* the machine it belongs to */
    void *blob;
    size_t len;
    vtime_t world_time, machine_time;
    size_t typed_len;
};

/* 0, or -1 with a message on stderr. */
int scenario_init(struct scenario *s, const struct scenario_opts *o);
/* Ends every machine still running (a time-limit end, status 4), finishes the
 * record, closes the logs and frees everything; prints a summary line per
 * machine on stdout. Returns 0, or -1 when a log or the record failed. */
int scenario_finish(struct scenario *s);

/* Boot a machine from bc (strings are copied). NULL with the reason in err. */
struct scen_machine *scenario_machine_add(struct scenario *s, const char *name, const struct boot_config *bc,
                                          char *err, size_t errlen);
struct scen_machine *scenario_machine_find(struct scenario *s, const char *name);

vtime_t scenario_now(const struct scenario *s);
/* Advance the world to t. */
void scenario_sleep_until(struct scenario *s, vtime_t t);

/* Type bytes into the machine's COM1 (an outside input, recorded). 0 or -1 with err. */
int scenario_type(struct scen_machine *sm, const void *data, size_t len, char *err, size_t errlen);

/* Wait until pred holds, looking every SCEN_WATCH_PERIOD, or until deadline.
 * Returns 1 when pred held, 0 at the deadline, -1 when the machine ended first
 * (pred is asked once more after the end), -2 when a signal ends the run
 * (run_stop.h; scen_lua_check_stop raises the script's error). */
typedef int scen_pred_fn(struct scen_machine *sm, void *ctx);
int scenario_wait(struct scen_machine *sm, vtime_t deadline, scen_pred_fn *pred, void *ctx);

/* The console output not yet consumed by an expect: [cursor, total). */
const uint8_t *scenario_console_pending(const struct scen_machine *sm, size_t *len);
/* Consume up to absolute offset `to` (an expect matched there). */
void scenario_console_consume(struct scen_machine *sm, uint64_t to);
/* The last lines of the console (at most max bytes), for failure messages. */
const uint8_t *scenario_console_tail(const struct scen_machine *sm, size_t max, size_t *len);

int scenario_snapshot(struct scen_machine *sm, struct scen_snapshot *out, char *err, size_t errlen);
int scenario_restore(struct scen_machine *sm, const struct scen_snapshot *snap, char *err, size_t errlen);
void scen_snapshot_free(struct scen_snapshot *snap);
/* Keep bytes as typed into the machine (a restore feeds the prefix again) without
 * feeding them now: scenario_type's first half. 0, or -1 with err. */
int scenario_typed_append(struct scen_machine *sm, const void *data, size_t len, char *err, size_t errlen);

/* Snapshots on disk (scenario_snapfile.c). The key: FNV-1a over the machine's
 * binaries, command lines, memory, RTC epoch and the hvsim executable. */
int scenario_config_key(struct scen_machine *sm, uint64_t *key, char *err, size_t errlen);
int scenario_snapshot_save(struct scen_machine *sm, const struct scen_snapshot *snap, const char *path,
                           char *err, size_t errlen);
/* Restore a machine from a snapshot file of its own configuration, the world's
 * clock moved on to the snapshot's time (*when): 0; 1 when path does not exist;
 * -1 with err (another configuration, not a snapshot, cut short). */
int scenario_restore_file(struct scen_machine *sm, const char *path, vtime_t *when, char *err, size_t errlen);

/* Close the network's captures and free it, before the world's queue goes. */
void scen_net_finish(struct scenario *s);
/* net.start's LAN (lan0 with the router and www) and its netsim, for the
 * machines' NICs to join; NULL before net.start. */
struct netsim_world *scen_net_lan(struct scenario *s, struct netsim **net);

/* "exit status 33 (debug exit)" and the like, for summaries and messages. */
const char *scenario_end_text(const struct machine_result *res, char *buf, size_t len);

/* A line from log(): "[S.NNNNNNNNN] text" on stdout and in DIR/scenario.log. */
void scenario_log(struct scenario *s, const char *text);

/* Run the script (scenario_api.c): 0 when it ran to its end, 1 when it failed
 * (the message, with the script's file and line, is on stderr). */
int scenario_run_script(struct scenario *s);

#endif
