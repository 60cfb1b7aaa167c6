/* `hvsim report FILE.hvtrace`: summaries and plots of an event trace. */
#ifndef SIM_CMD_REPORT_H
#define SIM_CMD_REPORT_H

int cmd_report(int argc, char **argv);

#endif
