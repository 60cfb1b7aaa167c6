/* Replay checking: compares the state hashes a replay produces at each recorded
 * checkpoint and at the end with those in the .hvrec, and names the first
 * divergence. sim/ maps a divergence to exit status 5 (ARCHITECTURE.md). */
#ifndef TRACES_REPLAY_CHECK_H
#define TRACES_REPLAY_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "traces/reclog.h"

struct replay_check;

/* Check against n recorded checkpoints (contiguous, e.g. from
 * reclog_reader_checkpoint(r, 0)) and the recorded end (NULL when the log was
 * salvaged without one). They must outlive the checker. NULL when out of memory. */
struct replay_check *replay_check_create(const struct reclog_checkpoint *cps, size_t n,
                                         const struct reclog_end *end);
void replay_check_free(struct replay_check *c);

/* The recorded checkpoint the replay must reach next, or NULL when none is left:
 * the replayer hashes its state when it gets to that (time, icount). */
const struct reclog_checkpoint *replay_check_next(const struct replay_check *c);

/* The replay's state at the next checkpoint. 0 when it matches the record;
 * HV_ECORRUPT on divergence (sticky: every later call returns it too) with the
 * message "diverged at checkpoint 12 (t=1.250000000 s): component 'devices'
 * hash 0x... != recorded 0x..."; HV_ERANGE when no recorded checkpoint is left. */
int replay_check_checkpoint(struct replay_check *c, vtime_t time, uint64_t icount,
                            const struct reclog_hash *hashes, size_t n);

/* The replay ended. Diverged when recorded checkpoints were not reached, or the
 * time, instruction count, exit status or final hashes differ from the end
 * chunk. 0 or HV_ECORRUPT, as above. */
int replay_check_end(struct replay_check *c, vtime_t time, uint64_t icount, int32_t exit_status,
                     const struct reclog_hash *hashes, size_t n);

int replay_check_diverged(const struct replay_check *c);
/* The first divergence, or "" while the replay matches. */
const char *replay_check_message(const struct replay_check *c);
/* Checkpoints matched so far. */
size_t replay_check_n_matched(const struct replay_check *c);

#endif
