/* `hvsim replay FILE.hvrec`: re-run a recorded boot from its log and check it. */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H

/* Exit status: 0 matched, 5 diverged, 2 usage or refused log, 1 internal error. */
int cmd_replay(int argc, char **argv);

#endif
