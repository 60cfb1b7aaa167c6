/* Recording a run to a .hvrec log: the header (configuration and binaries),
 * state-hash checkpoints at a fixed virtual-time period, optional snapshots
 * every N checkpoints, and the end chunk. Format: docs/traces.md. */
#ifndef SIM_RECORD_H
#define SIM_RECORD_H

#include <stddef.h>

#include "bootcfg.h"
#include "machine/machine.h"

#define RECORD_DEFAULT_EVERY (10 * VTIME_MS)

struct recorder;

/* Create path and write the header for bc; NULL with the reason in err. */
struct recorder *recorder_create(const char *path, const struct boot_config *bc, vtime_t every,
                                 unsigned snapshot_every, char *err, size_t errlen);
/* Start checkpointing m (sets m's tick). */
void recorder_attach(struct recorder *r, struct machine *m);
/* A console byte entered the guest (machine_input_fn): one input record. */
void recorder_input(void *opaque, vtime_t time, uint64_t icount, uint8_t byte);
/* Write the end chunk for res and close. 0, or -1 with the reason in err (what
 * was written before the error stays readable with --salvage). Frees r. */
int recorder_finish(struct recorder *r, struct machine *m, const struct machine_result *res, char *err,
                    size_t errlen);
/* Checkpoints and snapshots written so far. */
size_t recorder_n_checkpoints(const struct recorder *r);

#endif
