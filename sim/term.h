/* The controlling terminal while a person types into a guest's console
 * (`hvsim boot --interactive`): raw input, so every key reaches the guest as a
 * serial terminal would send it, and the saved settings put back on every way
 * out: a normal end, an error, exit(), the signals that end a run (they unwind
 * through the run loop, run_stop.h), fatal signals (restored in the handler,
 * then re-raised) and a stop from job control. Only SIGKILL leaves it raw
 * (`stty sane` repairs it). termios(3). */
#ifndef SIM_TERM_H
#define SIM_TERM_H

#include <stdbool.h>

/* Save fd's settings and make its input raw: no line editing, no echo, no
 * signal keys (Ctrl-C reaches the guest), no flow control; output processing
 * stays as it was, so a guest's "\n" still starts a new line. 1 when fd is a
 * terminal now raw, 0 when fd is not a terminal (nothing done), -1 when the
 * terminal refused (errno set). One terminal per process. */
int term_raw_enter(int fd);
/* Back to the saved (cooked) settings for a prompt, and raw again after it. */
void term_cooked(void);
void term_raw(void);
/* Put the saved settings back for good (idempotent; async-signal-safe). */
void term_restore(void);
bool term_is_raw(void);

#endif
