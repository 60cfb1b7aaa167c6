/* `hvsim lab run|check LAB` (docs/labs.md). */
#ifndef SIM_CMD_LAB_H
#define SIM_CMD_LAB_H

int cmd_lab(int argc, char **argv);

#endif
