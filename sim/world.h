/* The world: one virtual clock for everything a run simulates. It owns the event
 * queue of what lies outside the machines (the network, scenario timers, outside
 * inputs) and steps every machine and that queue together (world_run_until), so
 * machines, networks and scenarios share one time line. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>

#include "base/evq.h"
#include "base/vtime.h"
#include "machine/machine.h"

#define WORLD_MAX_MACHINES 8

struct world;

struct world *world_create(void);
/* Destroys the world's queue, not the machines (their owners destroy them,
 * after the world: the queue may still hold events of the network). */
void world_destroy(struct world *w);

/* The queue outside the machines: netsim, scenario waits and outside inputs
 * schedule their events here; its `now` is the world's time. */
struct evq *world_queue(struct world *w);
vtime_t world_now(const struct world *w);

/* Add a machine (at most WORLD_MAX_MACHINES); returns its index or -1. A machine
 * joins at the world's time: add machines before the first world_run_until. */
int world_add_machine(struct world *w, struct machine *m);
/* The lookahead between machines: the shortest latency of anything one machine
 * can do to another (a network link). Steps are no longer than this when several
 * machines run, so nothing a machine causes lands in another's past. 0 (the
 * default) means no limit, right for one machine. */
void world_set_lookahead(struct world *w, vtime_t lookahead);
/* Steps no longer than max_step even with one machine: the lookahead between
 * a machine and the world's own queue, for a machine whose NIC sends into
 * netsim (a frame sent at t lands in the queue at t, anything it causes comes
 * back to the machine no earlier than t + the cable's latency; with steps no
 * longer than that, it never lands in the machine's past). 0: no limit. */
void world_set_max_step(struct world *w, vtime_t max_step);

/* Put m in place of machine i (a scenario's restore: a fresh machine loaded
 * from a snapshot); it runs again even when the old one had ended. The caller
 * destroys the old machine. 0, or -1 when there is no machine i. */
int world_replace_machine(struct world *w, int i, struct machine *m);
/* Set the world's clock back to t (a restore with one machine: the machine's
 * clock went back to its snapshot). Outside events queued after t stay queued. */
void world_rewind(struct world *w, vtime_t t);
/* Move the clock on to t when no outside event is due before it (a machine
 * restored from a later snapshot): 0, or -1 and the clock stays. */
int world_jump(struct world *w, vtime_t t);
/* Machine i itself. */
struct machine *world_machine(const struct world *w, int i);

/* Run every machine and the world's events in time order until t, or until
 * every machine has ended (when there is at least one), or until a signal asks
 * the run to end (run_stop.h: then the machines stand at an instruction-block
 * boundary, maybe before the world's time moved on). Returns how many
 * machines are still running. Deterministic: machines step in the order they
 * were added, then the world's events due at the step's end run. */
int world_run_until(struct world *w, vtime_t t);
/* Machine i's end (valid once world_ended(w, i)). */
bool world_ended(const struct world *w, int i);
const struct machine_result *world_result(const struct world *w, int i);

#endif
