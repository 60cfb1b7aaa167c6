/* The Lua API of `hvsim run` (docs/scenarios.md): machine{...} and its methods
 * type, expect, wait_exit, snapshot, restore; sleep, now, now_ns, log,
 * expect_eq, fail (the `net` table is scenario_net.c's). Every failure is a Lua error whose message starts with the
 * script's file and line (luaL_error's "where"), so the runner prints it as is. */
#define _GNU_SOURCE /* memmem */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scenario.h"
#include "boot_net.h"
#include "scenario_lua.h"

#define MACHINE_MT "hvsim.machine"
#define SNAPSHOT_MT "hvsim.snapshot"
#define DEFAULT_TIMEOUT (30 * VTIME_S)

struct scenario *scen_lua_get(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "hvsim.scenario");
    struct scenario *s = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return s;
}

/* A virtual time: a number of seconds or a string such as "10ms", "2s", "5us". */
vtime_t scen_lua_time(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double x = lua_tonumber(L, idx);
        if (!(x >= 0) || x > 1e9)
            luaL_error(L, "%s: %f seconds: expected 0 to 1e9", what, x);
        return (vtime_t)llround(x * 1e9);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        vtime_t t;
        if (vtime_parse(lua_tostring(L, idx), &t))
            luaL_error(L, "%s: '%s': expected a virtual time such as \"10ms\", \"2s\" or a number of seconds", what,
                       lua_tostring(L, idx));
        return t;
    }
    luaL_error(L, "%s: expected a virtual time (a string such as \"10ms\" or a number of seconds), got %s", what,
               luaL_typename(L, idx));
    return 0;
}

/* opts.timeout (default 30 s) of an options table at idx (or none). */
static vtime_t opt_timeout(lua_State *L, int idx, const char *what)
{
    vtime_t t = DEFAULT_TIMEOUT;
    if (lua_isnoneornil(L, idx))
        return t;
    luaL_checktype(L, idx, LUA_TTABLE);
    if (lua_getfield(L, idx, "timeout") != LUA_TNIL)
        t = scen_lua_time(L, lua_gettop(L), what);
    lua_pop(L, 1);
    return t;
}

static struct scen_machine *check_machine(lua_State *L, int idx)
{
    struct scen_machine **p = luaL_checkudata(L, idx, MACHINE_MT);
    return *p;
}

/* ---- machine{...} ---- */

static const char *field_string(lua_State *L, int t, const char *key, const char *what)
{
    const char *v = NULL;
    int ty = lua_getfield(L, t, key);
    if (ty == LUA_TSTRING)
        v = lua_tostring(L, -1); /* stays valid: the table holds the string */
    else if (ty != LUA_TNIL)
        luaL_error(L, "%s: '%s' must be a string, got %s", what, key, lua_typename(L, ty));
    lua_pop(L, 1);
    return v;
}

static uint64_t parse_mem(lua_State *L, int idx)
{
    uint64_t mib = 0;
    if (lua_isinteger(L, idx)) {
        lua_Integer v = lua_tointeger(L, idx);
        mib = v > 0 ? (uint64_t)v : 0;
    } else if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end != s && (!strcmp(end, "M") || !strcmp(end, "MiB") || !*end))
            mib = v;
        else if (end != s && (!strcmp(end, "G") || !strcmp(end, "GiB")))
            mib = v * 1024;
    }
    if (mib < 2 || mib > 3072)
        luaL_error(L, "machine{}: mem: expected 2 to 3072 MiB (a number of MiB or a string such as \"256M\", "
                   "\"1G\"), got %s", luaL_tolstring(L, idx, NULL));
    return mib;
}

static int l_machine(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    struct boot_config bc;
    char name[64], err[1024];

    luaL_checktype(L, 1, LUA_TTABLE);
    boot_config_defaults(&bc);
    lua_pushnil(L);
    while (lua_next(L, 1)) { /* unknown keys are typos: refuse them */
        static const char *const keys[] = { "kernel", "cmdline", "modules", "mem", "name", "rtc_epoch", "net", "mac",
                                            NULL };
        int ok = 0;
        if (lua_type(L, -2) == LUA_TSTRING)
            for (int i = 0; keys[i]; i++)
                ok |= !strcmp(lua_tostring(L, -2), keys[i]);
        if (!ok)
            luaL_error(L, "machine{}: unknown key '%s' (known: kernel, cmdline, modules, mem, name, rtc_epoch, net, mac)",
                       luaL_tolstring(L, -2, NULL));
        lua_pop(L, 1);
    }
    bc.kernel = field_string(L, 1, "kernel", "machine{}");
    if (!bc.kernel)
        luaL_error(L, "machine{}: 'kernel' (the path of a multiboot kernel) is required");
    bc.cmdline = field_string(L, 1, "cmdline", "machine{}");
    bc.net = field_string(L, 1, "net", "machine{}");
    bc.mac = field_string(L, 1, "mac", "machine{}");
    uint8_t mac[6];
    if (bc.net && boot_net_parse(bc.net))
        luaL_error(L, "machine{}: net: expected \"lan\" (netsim's LAN 192.168.1.0/24), got '%s'", bc.net);
    if (bc.mac && (!bc.net || boot_net_parse_mac(bc.mac, mac)))
        luaL_error(L, "machine{}: mac: expected a unicast MAC such as %s, with net = \"lan\"; got '%s'",
                   BOOT_NET_DEFAULT_MAC, bc.mac);
    const char *nm = field_string(L, 1, "name", "machine{}");
    snprintf(name, sizeof name, "%s", nm ? nm : "");
    if (!nm)
        snprintf(name, sizeof name, "m%d", s->n + 1);
    else if (strlen(nm) >= sizeof name)
        luaL_error(L, "machine{}: name '%s' is longer than 63 characters", nm);
    if (lua_getfield(L, 1, "mem") != LUA_TNIL)
        bc.mem_mib = parse_mem(L, lua_gettop(L));
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "rtc_epoch") != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0)
            luaL_error(L, "machine{}: rtc_epoch: expected Unix seconds (a non-negative integer)");
        bc.rtc_epoch = (uint64_t)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    int ty = lua_getfield(L, 1, "modules");
    if (ty == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        if (n > BOOT_MAX_MODULES)
            luaL_error(L, "machine{}: modules: at most %d", BOOT_MAX_MODULES);
        for (lua_Integer i = 1; i <= n; i++) {
            int mt = lua_geti(L, -1, i);
            struct mb_module *mod = &bc.mods[bc.nmods++];
            if (mt == LUA_TSTRING) {
                mod->path = lua_tostring(L, -1);
            } else if (mt == LUA_TTABLE) {
                char what[64];
                snprintf(what, sizeof what, "machine{}: modules[%lld]", (long long)i);
                mod->path = field_string(L, lua_gettop(L), "path", what);
                mod->cmdline = field_string(L, lua_gettop(L), "args", what);
                if (!mod->path)
                    luaL_error(L, "%s: 'path' is required", what);
            } else {
                luaL_error(L, "machine{}: modules[%lld]: expected {path=..., args=...} or a path, got %s",
                           (long long)i, lua_typename(L, mt));
            }
            lua_pop(L, 1);
        }
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "machine{}: modules: expected a list such as {{path=\"initrd\", args=\"...\"}}, got %s",
                   lua_typename(L, ty));
    }
    /* The strings stay referenced by the table (arg 1) until the copy below. */
    struct scen_machine *sm = scenario_machine_add(s, name, &bc, err, sizeof err);
    lua_pop(L, 1);
    if (!sm)
        luaL_error(L, "machine{}: %s", err);
    struct scen_machine **p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = sm;
    luaL_setmetatable(L, MACHINE_MT);
    return 1;
}

/* ---- methods ---- */

static int l_type(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    char err[256];
    if (scenario_type(sm, text, len, err, sizeof err))
        luaL_error(L, "type: %s", err);
    return 0;
}

/* Push "the console of 'NAME' last showed:\n    | ..." */
static void push_tail(lua_State *L, struct scen_machine *sm)
{
    size_t n;
    const uint8_t *p = scenario_console_tail(sm, 600, &n);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (!n) {
        luaL_addstring(&b, "the console of '");
        luaL_addstring(&b, sm->name);
        luaL_addstring(&b, "' has shown nothing");
        luaL_pushresult(&b);
        return;
    }
    luaL_addstring(&b, "the console of '");
    luaL_addstring(&b, sm->name);
    luaL_addstring(&b, "' last showed:\n    | ");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            if (i + 1 < n)
                luaL_addstring(&b, "\n    | ");
        } else if (p[i] == '\r') {
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\x%02x", p[i]);
            luaL_addstring(&b, esc);
        } else {
            luaL_addchar(&b, (char)p[i]);
        }
    }
    luaL_pushresult(&b);
}

struct expect_ctx {
    lua_State *L;
    const char *pat;
    size_t plen;
    bool lua_pattern;
    uint64_t searched;    /* a plain search already looked up to here */
    uint64_t tried_total; /* a pattern search already saw the output up to here */
    bool tried;
    int nres;             /* results left on the stack by string.find */
};

static int expect_pred(struct scen_machine *sm, void *opaque)
{
    struct expect_ctx *c = opaque;
    size_t len;
    const uint8_t *p = scenario_console_pending(sm, &len);
    if (!c->lua_pattern) {
        uint64_t from = c->searched > sm->cursor + c->plen ? c->searched - c->plen : sm->cursor;
        const uint8_t *q = memmem(p + (from - sm->cursor), len - (size_t)(from - sm->cursor), c->pat, c->plen);
        if (!q) {
            c->searched = sm->total;
            return 0;
        }
        lua_pushlstring(c->L, (const char *)q, c->plen);
        c->nres = 1;
        scenario_console_consume(sm, sm->cursor + (uint64_t)(q - p) + c->plen);
        return 1;
    }
    if (c->tried && c->tried_total == sm->total)
        return 0; /* nothing new since the last look */
    c->tried = true;
    c->tried_total = sm->total;
    lua_State *L = c->L;
    int top = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "hvsim.find");
    lua_pushlstring(L, (const char *)p, len);
    lua_pushlstring(L, c->pat, c->plen);
    if (lua_pcall(L, 2, LUA_MULTRET, 0) != LUA_OK) /* a malformed pattern: say where the expect is */
        luaL_error(L, "expect: pattern '%s': %s", c->pat, lua_tostring(L, -1));
    if (lua_isnil(L, top + 1)) {
        lua_settop(L, top);
        return 0;
    }
    lua_Integer start = lua_tointeger(L, top + 1), end = lua_tointeger(L, top + 2);
    int ncap = lua_gettop(L) - top - 2;
    /* Replace (start, end, captures...) by (match, captures...). */
    lua_pushlstring(L, (const char *)p + start - 1, (size_t)(end - start + 1));
    lua_replace(L, top + 1);
    lua_remove(L, top + 2);
    c->nres = 1 + ncap;
    scenario_console_consume(sm, sm->cursor + (uint64_t)end);
    return 1;
}

static int l_expect(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    struct scenario *s = sm->s;
    struct expect_ctx c = { .L = L };
    char b[128], t[32];

    c.pat = luaL_checklstring(L, 2, &c.plen);
    vtime_t timeout = opt_timeout(L, 3, "expect: timeout");
    if (!lua_isnoneornil(L, 3)) {
        lua_getfield(L, 3, "pattern");
        c.lua_pattern = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_settop(L, 3);
    if (s->o.on_expect)
        s->o.on_expect(s->o.extra_ctx, sm->name, c.pat, c.lua_pattern);
    vtime_t deadline = scenario_now(s) + timeout;
    int r = scenario_wait(sm, deadline, expect_pred, &c);
    scen_lua_check_stop(L);
    if (r == 1) {
        s->expects++;
        return c.nres;
    }
    luaL_where(L, 1);
    if (r == 0)
        lua_pushfstring(L, "expect %s'%s' on '%s' timed out after %s s (t=%s s); ", c.lua_pattern ? "pattern " : "",
                        c.pat, sm->name, cli_fmt_time(b, timeout), cli_fmt_time(t, scenario_now(s)));
    else
        lua_pushfstring(L, "expect %s'%s' on '%s': the machine ended first (%s at t=%s s); ",
                        c.lua_pattern ? "pattern " : "", c.pat, sm->name, scenario_end_text(&sm->res, b, sizeof b),
                        cli_fmt_time(t, sm->res.time));
    push_tail(L, sm);
    lua_concat(L, 3);
    return lua_error(L);
}

static int ended_pred(struct scen_machine *sm, void *ctx)
{
    (void)ctx;
    return sm->ended;
}

static const char *end_kind(enum machine_end e)
{
    switch (e) {
    case MACHINE_END_EXIT: return "exit";
    case MACHINE_END_POWEROFF: return "poweroff";
    case MACHINE_END_TRIPLE_FAULT: return "triple-fault";
    case MACHINE_END_TIME_LIMIT: return "running";
    case MACHINE_END_HUNG: return "hung";
    case MACHINE_END_ERROR: return "error";
    case MACHINE_END_OBSERVER: return "observer";
    }
    return "?";
}

static int l_wait_exit(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    char b[32], t[32];
    vtime_t timeout = opt_timeout(L, 2, "wait_exit: timeout");
    int r = scenario_wait(sm, scenario_now(sm->s) + timeout, ended_pred, NULL);
    scen_lua_check_stop(L);
    if (r == 0) {
        luaL_where(L, 1);
        lua_pushfstring(L, "wait_exit on '%s' timed out after %s s (t=%s s); ", sm->name, cli_fmt_time(b, timeout),
                        cli_fmt_time(t, scenario_now(sm->s)));
        push_tail(L, sm);
        lua_concat(L, 3);
        return lua_error(L);
    }
    lua_pushinteger(L, sm->res.exit_status);
    lua_pushstring(L, end_kind(sm->res.end));
    return 2;
}

static int l_snapshot(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    char err[256];
    struct scen_snapshot *snap = lua_newuserdatauv(L, sizeof *snap, 0);
    memset(snap, 0, sizeof *snap);
    luaL_setmetatable(L, SNAPSHOT_MT);
    if (scenario_snapshot(sm, snap, err, sizeof err))
        luaL_error(L, "snapshot: %s", err);
    return 1;
}

/* m:save_snapshot(path): a snapshot of now written to path (docs/scenarios.md). */
static int l_save_snapshot(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    const char *path = luaL_checkstring(L, 2);
    struct scen_snapshot snap = { 0 };
    char err[1024], t[32], line[4200];
    if (scenario_snapshot(sm, &snap, err, sizeof err))
        return luaL_error(L, "save_snapshot: %s", err);
    int r = scenario_snapshot_save(sm, &snap, path, err, sizeof err);
    scen_snapshot_free(&snap);
    if (r)
        return luaL_error(L, "save_snapshot: %s", err);
    snprintf(line, sizeof line, "%s: saved a snapshot of t=%s s to %s", sm->name,
             cli_fmt_time(t, scenario_now(sm->s)), path);
    scenario_log(sm->s, line);
    return 0;
}

/* m:config_key(): the hex key snapshot files of this machine carry. */
static int l_config_key(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    uint64_t key;
    char err[1024], hex[17];
    if (scenario_config_key(sm, &key, err, sizeof err))
        return luaL_error(L, "config_key: %s", err);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)key);
    lua_pushstring(L, hex);
    return 1;
}

/* m:restore(path): from a snapshot file; true, or false when there is no such file. */
static int restore_file(lua_State *L, struct scen_machine *sm, const char *path)
{
    char err[4200], t[32], line[4400];
    vtime_t when;
    int r = scenario_restore_file(sm, path, &when, err, sizeof err);
    if (r < 0)
        return luaL_error(L, "restore: %s", err);
    if (r == 0) {
        snprintf(line, sizeof line, "%s: restored the snapshot of t=%s s from %s", sm->name,
                 cli_fmt_time(t, when), path);
        scenario_log(sm->s, line);
    }
    lua_pushboolean(L, r == 0);
    return 1;
}

static int l_restore(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING)
        return restore_file(L, sm, lua_tostring(L, 2));
    struct scen_snapshot *snap = luaL_checkudata(L, 2, SNAPSHOT_MT);
    char err[1024], t[32];
    if (sm->s->net)
        return luaL_error(L, "restore: the scenario has a network (net.start), which cannot go back in time "
                             "with the machine: not supported yet");
    if (scenario_restore(sm, snap, err, sizeof err))
        luaL_error(L, "restore: %s", err);
    char line[256];
    snprintf(line, sizeof line, "%s: restored the snapshot taken at t=%s s", sm->name,
             cli_fmt_time(t, snap->world_time));
    scenario_log(sm->s, line);
    return 0;
}

static int l_snapshot_gc(lua_State *L)
{
    scen_snapshot_free(luaL_checkudata(L, 1, SNAPSHOT_MT));
    return 0;
}

static int l_snapshot_tostring(lua_State *L)
{
    struct scen_snapshot *snap = luaL_checkudata(L, 1, SNAPSHOT_MT);
    char t[32];
    lua_pushfstring(L, "snapshot of t=%s s (%d bytes)", cli_fmt_time(t, snap->world_time), (int)snap->len);
    return 1;
}

/* m:link(up): plug (true) or pull (false) the cable of the machine's NIC. */
static int l_link(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    if (!sm->bc.net || boot_net_set_link(sm->s->lan, sm->m, 0, lua_toboolean(L, 2)))
        return luaL_error(L, "link: machine '%s' has no NIC (machine{..., net = \"lan\"})", sm->name);
    return 0;
}

static const luaL_Reg machine_methods[] = {
    { "type", l_type },         { "expect", l_expect },   { "wait_exit", l_wait_exit },
    { "snapshot", l_snapshot }, { "restore", l_restore }, { "save_snapshot", l_save_snapshot },
    { "config_key", l_config_key }, { "link", l_link }, { NULL, NULL },
};

/* m.name, m.ended, m.exit_status, or a method; anything else is a typo. */
static int l_machine_index(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    const char *k = luaL_checkstring(L, 2);
    for (const luaL_Reg *r = machine_methods; r->name; r++)
        if (!strcmp(k, r->name)) {
            lua_pushcfunction(L, r->func);
            return 1;
        }
    if (!strcmp(k, "name")) {
        lua_pushstring(L, sm->name);
        return 1;
    }
    if (!strcmp(k, "ended")) {
        lua_pushboolean(L, sm->ended);
        return 1;
    }
    if (!strcmp(k, "exit_status")) {
        if (sm->ended)
            lua_pushinteger(L, sm->res.exit_status);
        else
            lua_pushnil(L);
        return 1;
    }
    return luaL_error(L, "machine '%s' has no method or field '%s' (methods: type, expect, wait_exit, snapshot, "
                      "restore, save_snapshot, config_key, link; fields: name, ended, exit_status)", sm->name, k);
}

static int l_machine_tostring(lua_State *L)
{
    struct scen_machine *sm = check_machine(L, 1);
    lua_pushfstring(L, "machine '%s'", sm->name);
    return 1;
}

/* ---- globals ---- */

static int l_sleep(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    scenario_sleep_until(s, scenario_now(s) + scen_lua_time(L, 1, "sleep"));
    scen_lua_check_stop(L);
    return 0;
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, (double)scenario_now(scen_lua_get(L)) / 1e9);
    return 1;
}

static int l_now_ns(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)scenario_now(scen_lua_get(L)));
    return 1;
}

static int l_log(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        scen_lua_tostring(L, i);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    scenario_log(scen_lua_get(L), lua_tostring(L, -1));
    return 0;
}

static int l_expect_eq(lua_State *L)
{
    luaL_checkany(L, 2);
    if (lua_compare(L, 1, 2, LUA_OPEQ)) {
        scen_lua_get(L)->expects++;
        return 0;
    }
    const char *what = luaL_optstring(L, 3, "value");
    scen_lua_tostring(L, 1);
    scen_lua_tostring(L, 2);
    return luaL_error(L, "expect_eq: %s: got %s (%s), expected %s (%s)", what, lua_tostring(L, -2),
                      luaL_typename(L, 1), lua_tostring(L, -1), luaL_typename(L, 2));
}

/* assert with the script's file and line even when a message is given. */
static int l_assert(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_toboolean(L, 1)) {
        scen_lua_get(L)->expects++;
        return lua_gettop(L);
    }
    return luaL_error(L, "assertion failed: %s", luaL_optstring(L, 2, "(no message)"));
}

static int l_fail(lua_State *L)
{
    return luaL_error(L, "fail: %s", luaL_optstring(L, 1, "(no message)"));
}

void scen_lua_open_api(lua_State *L)
{
    luaL_newmetatable(L, MACHINE_MT);
    lua_pushcfunction(L, l_machine_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_machine_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, SNAPSHOT_MT);
    lua_pushcfunction(L, l_snapshot_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_snapshot_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    static const luaL_Reg g[] = {
        { "machine", l_machine }, { "sleep", l_sleep },   { "now", l_now },       { "now_ns", l_now_ns },
        { "log", l_log },         { "expect_eq", l_expect_eq }, { "assert", l_assert }, { "fail", l_fail },
        { NULL, NULL },
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, g, 0);
    lua_pop(L, 1);
}
