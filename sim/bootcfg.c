/* The boot configuration and its .hvrec form. Keys (docs/traces.md, "Commands"):
 * command, kernel, cmdline, modules, module.N, module.N.cmdline, mem_mib, smp,
 * hz, rtc_epoch, console_input, stopped_outside, max_time_ns ("never" when
 * unlimited). A key that is absent means
 * "not given" (cmdline) or the default; paths are stored exactly as given, since
 * the guest sees them in the multiboot information. */
#define _GNU_SOURCE /* asprintf */
#include "bootcfg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "boot_net.h"
#include "machine/nic.h"
#include "run_stop.h"
#include "world.h"

#define BOOT_HZ 1000000000ULL

void boot_config_defaults(struct boot_config *bc)
{
    memset(bc, 0, sizeof *bc);
    bc->mem_mib = 128;
    bc->rtc_epoch = BOOT_DEFAULT_EPOCH;
    bc->max_time = VTIME_NEVER;
}

struct machine_config boot_config_machine(const struct boot_config *bc, FILE *console)
{
    /* The CPU's switches come from the environment, here and only here. */
    struct cpu_switches sw = { .slow_stores = getenv("HVSIM_SLOW_STORES") != NULL,
                               .uc_exit_checks = getenv("HVSIM_UC_EXIT_CHECKS") != NULL,
                               .no_nested_run = getenv("HVSIM_VMX_NO_NESTED_RUN") != NULL,
                               .uc_no_hint = getenv("HVSIM_UC_NO_HINT") != NULL,
                               .no_ffwd = getenv("HVSIM_NO_FFWD") != NULL };
    return (struct machine_config){ .mem_bytes = bc->mem_mib << 20, .hz = BOOT_HZ, .rtc_epoch = bc->rtc_epoch,
                                    .console = console, .cpu_switches = sw,
                                    .counters = getenv("HVSIM_COUNTERS") != NULL };
}

struct machine *boot_config_create(const struct boot_config *bc, FILE *console, char *err, size_t errlen)
{
    struct machine_config cfg = boot_config_machine(bc, console);
    struct mb_config mb = { .kernel = bc->kernel, .cmdline = bc->cmdline, .mods = bc->mods, .nmods = bc->nmods };
    struct machine *m = machine_create(&cfg);

    if (!m) {
        snprintf(err, errlen, "cannot create the machine (%llu MiB)", (unsigned long long)bc->mem_mib);
        return NULL;
    }
    if (machine_load_multiboot(m, &mb, err, errlen)) {
        machine_destroy(m);
        return NULL;
    }
    if (bc->net) {
        uint8_t mac[6];
        const char *ms = bc->mac ? bc->mac : BOOT_NET_DEFAULT_MAC;
        if (boot_net_parse(bc->net) || boot_net_parse_mac(ms, mac) || machine_add_nic(m, mac) < 0) {
            snprintf(err, errlen, "--net %s --mac %s: expected the network lan and a unicast MAC such as %s", bc->net,
                     ms, BOOT_NET_DEFAULT_MAC);
            machine_destroy(m);
            return NULL;
        }
    }
    return m;
}

int boot_kv_addf(struct boot_kv *kv, const char *key, const char *fmt, ...)
{
    size_t cap = sizeof kv->kv / sizeof kv->kv[0];
    char *s;
    va_list ap;

    if (kv->n == cap || kv->n_owned == sizeof kv->owned / sizeof kv->owned[0])
        return HV_EFULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return HV_ENOMEM;
    kv->owned[kv->n_owned++] = s;
    kv->kv[kv->n++] = (struct reclog_kv){ key, s };
    return HV_OK;
}

/* A pair whose key is formatted too (module.N): both strings owned. */
static int kv_add_keyf(struct boot_kv *kv, const char *value, const char *keyfmt, int i)
{
    char *key;

    if (kv->n_owned + 2 > sizeof kv->owned / sizeof kv->owned[0])
        return HV_EFULL;
    if (asprintf(&key, keyfmt, i) < 0)
        return HV_ENOMEM;
    kv->owned[kv->n_owned++] = key;
    return boot_kv_addf(kv, key, "%s", value);
}

int boot_config_to_kv(const struct boot_config *bc, struct boot_kv *out)
{
    int e = 0;
    memset(out, 0, sizeof *out);
    e |= boot_kv_addf(out, "command", "boot");
    e |= boot_kv_addf(out, "kernel", "%s", bc->kernel);
    if (bc->cmdline)
        e |= boot_kv_addf(out, "cmdline", "%s", bc->cmdline);
    e |= boot_kv_addf(out, "modules", "%d", bc->nmods);
    for (int i = 0; i < bc->nmods; i++) {
        e |= kv_add_keyf(out, bc->mods[i].path, "module.%d", i);
        if (bc->mods[i].cmdline)
            e |= kv_add_keyf(out, bc->mods[i].cmdline, "module.%d.cmdline", i);
    }
    e |= boot_kv_addf(out, "mem_mib", "%" PRIu64, bc->mem_mib);
    e |= boot_kv_addf(out, "smp", "1");
    e |= boot_kv_addf(out, "hz", "%llu", BOOT_HZ);
    e |= boot_kv_addf(out, "rtc_epoch", "%" PRIu64, bc->rtc_epoch);
    e |= boot_kv_addf(out, "console_input", "%" PRIu64, bc->has_console_input);
    if (bc->stopped_outside)
        e |= boot_kv_addf(out, "stopped_outside", "1");
    if (bc->scenario)
        e |= boot_kv_addf(out, "scenario", "%s", bc->scenario);
    if (bc->net) {
        e |= boot_kv_addf(out, "net", "%s", bc->net);
        e |= boot_kv_addf(out, "mac", "%s", bc->mac ? bc->mac : BOOT_NET_DEFAULT_MAC);
        e |= boot_kv_addf(out, "seed", "%" PRIu64, bc->seed);
    }
    if (bc->max_time == VTIME_NEVER)
        e |= boot_kv_addf(out, "max_time_ns", "never");
    else
        e |= boot_kv_addf(out, "max_time_ns", "%" PRIu64, bc->max_time);
    return e ? HV_ENOMEM : HV_OK;
}

void boot_kv_free(struct boot_kv *kv)
{
    for (size_t i = 0; i < kv->n_owned; i++)
        free(kv->owned[i]);
    kv->n = kv->n_owned = 0;
}

int boot_kv_get_u64(const struct reclog_reader *r, const char *path, const char *key, uint64_t dflt,
                    uint64_t *out, char *err, size_t errlen)
{
    const char *v = reclog_reader_config(r, key);
    char *end;

    if (!v) {
        *out = dflt;
        return HV_OK;
    }
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end) {
        snprintf(err, errlen, "%s: header: config key '%s' = '%s': expected an unsigned number", path, key, v);
        return HV_EINVAL;
    }
    *out = x;
    return HV_OK;
}

int boot_config_from_log(struct boot_config *bc, const struct reclog_reader *r, const char *path, char *err,
                         size_t errlen)
{
    const char *cmd = reclog_reader_config(r, "command"), *mt = reclog_reader_config(r, "max_time_ns");
    uint64_t nmods, smp, hz;
    char key[32];

    boot_config_defaults(bc);
    if (!cmd || strcmp(cmd, "boot")) {
        snprintf(err, errlen, "%s: header: config key 'command' = '%s': expected 'boot' (replay knows only "
                 "`hvsim boot` recordings so far)", path, cmd ? cmd : "(missing)");
        return HV_EINVAL;
    }
    bc->kernel = reclog_reader_config(r, "kernel");
    if (!bc->kernel) {
        snprintf(err, errlen, "%s: header: config key 'kernel' is missing", path);
        return HV_EINVAL;
    }
    bc->cmdline = reclog_reader_config(r, "cmdline");
    if (boot_kv_get_u64(r, path, "modules", 0, &nmods, err, errlen) ||
        boot_kv_get_u64(r, path, "mem_mib", 128, &bc->mem_mib, err, errlen) ||
        boot_kv_get_u64(r, path, "smp", 1, &smp, err, errlen) ||
        boot_kv_get_u64(r, path, "hz", BOOT_HZ, &hz, err, errlen) ||
        boot_kv_get_u64(r, path, "rtc_epoch", BOOT_DEFAULT_EPOCH, &bc->rtc_epoch, err, errlen) ||
        boot_kv_get_u64(r, path, "console_input", 0, &bc->has_console_input, err, errlen) ||
        boot_kv_get_u64(r, path, "stopped_outside", 0, &bc->stopped_outside, err, errlen) ||
        boot_kv_get_u64(r, path, "seed", 0, &bc->seed, err, errlen))
        return HV_EINVAL;
    bc->net = reclog_reader_config(r, "net");
    bc->mac = reclog_reader_config(r, "mac");
    uint8_t mac[6];
    if ((bc->net && boot_net_parse(bc->net)) || (bc->mac && boot_net_parse_mac(bc->mac, mac))) {
        snprintf(err, errlen, "%s: header: config keys net = '%s', mac = '%s': expected lan and a unicast MAC", path,
                 bc->net ? bc->net : "", bc->mac ? bc->mac : "");
        return HV_EINVAL;
    }
    if (nmods > BOOT_MAX_MODULES || smp != 1 || hz != BOOT_HZ || bc->mem_mib < 2 || bc->mem_mib > 3072) {
        snprintf(err, errlen, "%s: header: modules=%llu smp=%llu hz=%llu mem_mib=%llu: expected at most %d "
                 "modules, smp 1, hz %llu and 2 to 3072 MiB", path, (unsigned long long)nmods,
                 (unsigned long long)smp, (unsigned long long)hz, (unsigned long long)bc->mem_mib,
                 BOOT_MAX_MODULES, BOOT_HZ);
        return HV_EINVAL;
    }
    if (mt && strcmp(mt, "never") && boot_kv_get_u64(r, path, "max_time_ns", 0, &bc->max_time, err, errlen))
        return HV_EINVAL;
    bc->nmods = (int)nmods;
    for (int i = 0; i < bc->nmods; i++) {
        snprintf(key, sizeof key, "module.%d", i);
        bc->mods[i].path = reclog_reader_config(r, key);
        snprintf(key, sizeof key, "module.%d.cmdline", i);
        bc->mods[i].cmdline = reclog_reader_config(r, key);
        if (!bc->mods[i].path) {
            snprintf(err, errlen, "%s: header: config key 'module.%d' is missing (modules=%d)", path, i,
                     bc->nmods);
            return HV_EINVAL;
        }
    }
    return HV_OK;
}

static int binary_identify(const char *path, struct reclog_binary *out, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;

    if (multiboot_read_file(path, &data, &len, err, errlen))
        return -1;
    *out = (struct reclog_binary){ .name = path, .size = len, .hash = reclog_hash_bytes(data, len) };
    free(data);
    return 0;
}

int boot_config_binaries(const struct boot_config *bc, struct reclog_binary *out, char *err, size_t errlen)
{
    if (binary_identify(bc->kernel, &out[0], err, errlen))
        return -1;
    for (int i = 0; i < bc->nmods; i++)
        if (binary_identify(bc->mods[i].path, &out[1 + i], err, errlen))
            return -1;
    return 0;
}

int boot_config_check_binaries(const struct boot_config *bc, const struct reclog_header *h, const char *path,
                               char *err, size_t errlen)
{
    struct reclog_binary now;
    char why[256];

    if (h->n_binaries != (size_t)(1 + bc->nmods)) {
        snprintf(err, errlen, "%s: header: %zu binaries recorded, expected the kernel and %d modules", path,
                 h->n_binaries, bc->nmods);
        return -1;
    }
    for (size_t i = 0; i < h->n_binaries; i++) {
        const struct reclog_binary *rec = &h->binaries[i];
        if (binary_identify(rec->name, &now, why, sizeof why)) {
            snprintf(err, errlen, "%s: binary %zu: the recorded %s cannot be read now: %s", path, i,
                     i ? "module" : "kernel", why);
            return -1;
        }
        if (now.size != rec->size || now.hash != rec->hash) {
            snprintf(err, errlen, "%s: binary %zu: %s has changed since the recording: %llu bytes, hash "
                     "0x%016llx; recorded %llu bytes, hash 0x%016llx", path, i, rec->name,
                     (unsigned long long)now.size, (unsigned long long)now.hash, (unsigned long long)rec->size,
                     (unsigned long long)rec->hash);
            return -1;
        }
    }
    return 0;
}

void boot_run(struct machine *m, const struct boot_config *bc, vtime_t max_time, struct machine_result *res)
{
    struct world *w = world_create();
    struct boot_net *net = NULL;
    char err[512];
    if (!w || world_add_machine(w, m) < 0) {
        fprintf(stderr, "hvsim: error: out of memory for the world\n");
        *res = (struct machine_result){ .end = MACHINE_END_ERROR, .exit_status = 1 };
        world_destroy(w);
        return;
    }
    if (bc->net && !(net = boot_net_attach(w, m, bc->net, bc->seed, bc->pcap_dir, err, sizeof err))) {
        fprintf(stderr, "hvsim: error: %s\n", err);
        *res = (struct machine_result){ .end = MACHINE_END_ERROR, .exit_status = 2 };
        world_destroy(w);
        return;
    }
    if (world_run_until(w, max_time)) {
        machine_result_time_limit(m, res);
        /* Ended from outside: the record's end chunk says so (replay.c). */
        if (run_stop_signal() && res->time < max_time)
            res->exit_status = 128 + run_stop_signal();
    }
    else
        *res = *world_result(w, 0);
    if (boot_net_free(net)) {
        fprintf(stderr, "hvsim: error: --pcap %s: a capture could not be written whole\n", bc->pcap_dir);
        if (!res->exit_status)
            res->exit_status = 1;
    }
    world_destroy(w);
}
