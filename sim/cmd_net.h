/* `hvsim net`: run a preset network (nat, bridge, route) with no machine. */
#ifndef SIM_CMD_NET_H
#define SIM_CMD_NET_H

/* argv[0] is "net" (the subcommand). Returns the exit status: 0 on success,
 * 1 when the built-in client failed, 2 for usage errors, 3 for setup errors. */
int cmd_net(int argc, char **argv);

#endif
