/* Constants shared by the .hvtrace writer and reader (docs/traces.md, "Event trace"). */
#ifndef TRACES_EVTRACE_PRIV_H
#define TRACES_EVTRACE_PRIV_H

static const char evtrace_magic[8] = { 'H', 'V', 'S', 'I', 'M', 'T', 'R', 'C' };

#define EVTRACE_MAX_STR 4096u
#define EVTRACE_DEFAULT_CAP 4096u

#endif
