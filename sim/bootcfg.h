/* What `hvsim boot` was asked to run — kernel, modules, command lines, memory,
 * time limit, RTC epoch — and its round trip through a .hvrec header: the
 * configuration as key=value text and each loaded binary's size and hash. */
#ifndef SIM_BOOTCFG_H
#define SIM_BOOTCFG_H

#include <stddef.h>
#include <stdint.h>

#include "base/vtime.h"
#include "machine/machine.h"
#include "machine/multiboot.h"
#include "traces/reclog.h"

#define BOOT_MAX_MODULES 64
#define BOOT_DEFAULT_EPOCH 1767225600ULL /* 2026-01-01T00:00:00Z */

struct boot_config {
    const char *kernel;
    const char *cmdline; /* NULL: none given */
    struct mb_module mods[BOOT_MAX_MODULES];
    int nmods;
    uint64_t mem_mib;
    uint64_t rtc_epoch;
    vtime_t max_time;
    const char *console_input; /* live: a file of COM1 input ("-": stdin); NULL: none */
    uint64_t has_console_input; /* 1 when the run takes console input (recorded) */
    /* 1 when something outside the machine ends the run (a scenario that ends
     * while the machine still runs): a replay runs to the recorded end's time. */
    uint64_t stopped_outside;
    const char *scenario; /* the scenario that ran the machine (`hvsim run`), or NULL */
    uint64_t seed;        /* the run's seed (the record header's) */
    const char *net;      /* "lan": one NIC on netsim's LAN (boot_net.h); NULL: no NIC */
    const char *mac;      /* the NIC's MAC (NULL: BOOT_NET_DEFAULT_MAC) */
    const char *pcap_dir; /* captures of the network (an output, not recorded); NULL: none */
};

void boot_config_defaults(struct boot_config *bc);
struct machine_config boot_config_machine(const struct boot_config *bc, FILE *console);
/* Create the machine and load the kernel: NULL with the reason in err. */
struct machine *boot_config_create(const struct boot_config *bc, FILE *console, char *err, size_t errlen);

/* The configuration as key=value pairs, with room for extra ones after it. */
struct boot_kv {
    struct reclog_kv kv[8 + 2 * BOOT_MAX_MODULES + 8];
    size_t n;
    char *owned[2 * (8 + 2 * BOOT_MAX_MODULES + 8)];
    size_t n_owned;
};
int boot_config_to_kv(const struct boot_config *bc, struct boot_kv *out);
/* Append key = printf(fmt...): 0 or HV_ENOMEM / HV_EFULL. */
int boot_kv_addf(struct boot_kv *kv, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void boot_kv_free(struct boot_kv *kv);

/* From a log's header; strings point into the reader. 0 or HV_EINVAL with
 * "PATH: header: config key 'K' = 'V': expected ..." in err. */
int boot_config_from_log(struct boot_config *bc, const struct reclog_reader *r, const char *path, char *err,
                         size_t errlen);
/* A log header's unsigned number (absent: dflt). 0 or HV_EINVAL with the message in err. */
int boot_kv_get_u64(const struct reclog_reader *r, const char *path, const char *key, uint64_t dflt,
                    uint64_t *out, char *err, size_t errlen);

/* The kernel and each module as loaded (after gunzip): name, size, FNV-1a hash.
 * out holds 1 + nmods entries; names point into bc. 0 or -1 with err set. */
int boot_config_binaries(const struct boot_config *bc, struct reclog_binary *out, char *err, size_t errlen);
/* The recorded binaries must still be what was loaded: 0, or -1 with err naming
 * the log, the binary and what changed. */
int boot_config_check_binaries(const struct boot_config *bc, const struct reclog_header *h, const char *path,
                               char *err, size_t errlen);

/* Run the machine alone in a world (sim/world.c), with bc's network when it
 * has one (boot_net.h), until it ends or max_time
 * passes (then status 4, MACHINE_END_TIME_LIMIT), or a signal ends it earlier
 * (run_stop.h: MACHINE_END_TIME_LIMIT with status 128+signo). */
void boot_run(struct machine *m, const struct boot_config *bc, vtime_t max_time, struct machine_result *res);
/* An exit status that says a signal ended the run (128+signo, as a shell says). */
static inline int boot_status_is_signal(int status) { return status > 128 && status <= 128 + 64; }

#endif
