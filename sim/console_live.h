/* A person at COM1 (`hvsim boot --interactive`): keys from stdin enter the
 * guest's console as they are typed, Ctrl-] opens an hvsim prompt (continue,
 * status, quit), and virtual time is held back to the wall clock so a guest
 * waiting for keys does not race ahead. Each byte is recorded when it enters
 * the guest, with its virtual time and instruction count, so `hvsim replay`
 * reproduces the session without the person (docs/console.md). */
#ifndef SIM_CONSOLE_LIVE_H
#define SIM_CONSOLE_LIVE_H

#include <stdbool.h>

#include "machine/machine.h"
#include "record.h"
#include "traces/evtrace.h"

#define CONSOLE_LIVE_ESCAPE 0x1d /* Ctrl-] */

struct console_live;

/* Take keys from fd for m's COM1, recording them in rec (NULL: none;
 * rec_path names it in the status line); trace (NULL: none) is flushed every
 * second of wall time so a killed session leaves most of it. When fd is a
 * terminal it turns raw (term.h) — the last step, so nothing can fail after
 * it. NULL with the reason in err. */
struct console_live *console_live_create(struct machine *m, int fd, struct recorder *rec, const char *rec_path,
                                         struct evtrace *trace, bool quiet, char *err, size_t errlen);
/* Run m in a world until it ends, max_time passes, the person quits at the
 * prompt or a signal asks the run to end; res as boot_run fills it (status 4
 * for a quit or max_time, 128+signo for a signal). */
void console_live_run(struct console_live *cl, vtime_t max_time, struct machine_result *res);
/* The person ended the run with `quit` at the prompt (or end of input there). */
bool console_live_quit(const struct console_live *cl);
/* Put the terminal back and free cl. */
void console_live_destroy(struct console_live *cl);

#endif
