/* `hvsim run SCENARIO.lua [--out DIR] [--record FILE] [--seed N]`: the scenario runner. */
#ifndef SIM_CMD_RUN_H
#define SIM_CMD_RUN_H

/* Exit status: 0 every expectation held, 1 the scenario failed, 2 usage errors. */
int cmd_run(int argc, char **argv);

#endif
