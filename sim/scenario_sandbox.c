/* The deterministic Lua environment of a scenario: only the parts of the
 * standard library that cannot reach the host (no io, no package or require,
 * no debug, no os.execute/remove/getenv/exit), os.time/os.clock/os.date on the
 * simulation's clock, math.random on the run's seeded PRNG (base/prng.c), pairs
 * in a fixed key order (Lua seeds its string hash from the host's clock and
 * addresses, so raw `next` order differs between runs), tostring without host
 * addresses, strict globals, and a budget of Lua instructions that stops a
 * runaway script with its file and line. */
#define _GNU_SOURCE /* timegm */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run_stop.h"
#include "scenario.h"
#include "scenario_lua.h"

#define HOOK_EVERY 1000 /* Lua instructions between two looks at the budget */

/* ---- the clock ---- */

static int64_t sim_epoch(struct scenario *s)
{
    return (int64_t)(s->n ? s->m[0]->bc.rtc_epoch : BOOT_DEFAULT_EPOCH);
}

static int64_t sim_unix_now(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    return sim_epoch(s) + (int64_t)(scenario_now(s) / VTIME_S);
}

static int get_field(lua_State *L, const char *key, int dflt, int required)
{
    int isnum, t = lua_getfield(L, -1, key);
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (!isnum) {
        if (t != LUA_TNIL)
            return luaL_error(L, "os.time: field '%s' is not an integer", key);
        if (required)
            return luaL_error(L, "os.time: field '%s' missing in date table", key);
        return dflt;
    }
    return (int)v;
}

/* os.time([t]): Unix seconds of the simulation (the machines' RTC epoch plus
 * virtual time); a table is read as UTC. */
static int l_os_time(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, sim_unix_now(L));
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    struct tm tm = { 0 };
    tm.tm_year = get_field(L, "year", -1, 1) - 1900;
    tm.tm_mon = get_field(L, "month", -1, 1) - 1;
    tm.tm_mday = get_field(L, "day", -1, 1);
    tm.tm_hour = get_field(L, "hour", 12, 0);
    tm.tm_min = get_field(L, "min", 0, 0);
    tm.tm_sec = get_field(L, "sec", 0, 0);
    lua_pushinteger(L, (lua_Integer)timegm(&tm));
    return 1;
}

/* os.clock(): virtual seconds since the scenario began. */
static int l_os_clock(lua_State *L)
{
    lua_pushnumber(L, (double)scenario_now(scen_lua_get(L)) / 1e9);
    return 1;
}

static void set_int(lua_State *L, const char *k, int v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* os.date([format [, time]]): always UTC ("!" is accepted and changes nothing),
 * in the C locale. */
static int l_os_date(lua_State *L)
{
    const char *fmt = luaL_optstring(L, 1, "%c");
    time_t t = lua_isnoneornil(L, 2) ? (time_t)sim_unix_now(L) : (time_t)luaL_checkinteger(L, 2);
    struct tm tm;
    if (*fmt == '!')
        fmt++;
    if (!gmtime_r(&t, &tm))
        return luaL_error(L, "os.date: time %lld cannot be represented", (long long)t);
    if (!strcmp(fmt, "*t")) {
        lua_createtable(L, 0, 9);
        set_int(L, "year", tm.tm_year + 1900);
        set_int(L, "month", tm.tm_mon + 1);
        set_int(L, "day", tm.tm_mday);
        set_int(L, "hour", tm.tm_hour);
        set_int(L, "min", tm.tm_min);
        set_int(L, "sec", tm.tm_sec);
        set_int(L, "yday", tm.tm_yday + 1);
        set_int(L, "wday", tm.tm_wday + 1);
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "isdst");
        return 1;
    }
    char buf[512];
    size_t n = strftime(buf, sizeof buf, fmt, &tm);
    if (n == 0 && *fmt)
        return luaL_error(L, "os.date: format '%s' gives nothing or more than %d bytes", fmt, (int)sizeof buf);
    lua_pushlstring(L, buf, n);
    return 1;
}

static int l_os_difftime(lua_State *L)
{
    lua_pushnumber(L, (double)luaL_checkinteger(L, 1) - (double)luaL_optinteger(L, 2, 0));
    return 1;
}

/* ---- randomness ---- */

static int l_random(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    lua_Integer low, up;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, (double)(prng_next(&s->rng) >> 11) * 0x1.0p-53);
        return 1;
    case 1:
        low = 1;
        up = luaL_checkinteger(L, 1);
        if (up == 0) {
            lua_pushinteger(L, (lua_Integer)prng_next(&s->rng));
            return 1;
        }
        break;
    case 2:
        low = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, low <= up, 1, "interval is empty");
    uint64_t span = (uint64_t)up - (uint64_t)low;
    uint64_t v = span == UINT64_MAX ? prng_next(&s->rng) : prng_below(&s->rng, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)low + v));
    return 1;
}

/* math.randomseed([n]): n, or without one the run's --seed again. */
static int l_randomseed(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    uint64_t seed = s->o.seed;
    if (lua_isinteger(L, 1)) {
        seed = (uint64_t)lua_tointeger(L, 1);
    } else if (!lua_isnoneornil(L, 1)) {
        double d = luaL_checknumber(L, 1);
        memcpy(&seed, &d, sizeof seed);
    }
    prng_seed(&s->rng, seed);
    return 0;
}

/* ---- tostring and print ---- */

void scen_lua_tostring(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    bool by_ref = t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TTHREAD ||
                  t == LUA_TLIGHTUSERDATA;
    if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
        lua_pop(L, 1);
        by_ref = false;
    }
    if (!by_ref) {
        luaL_tolstring(L, idx, NULL);
        return;
    }
    const char *kind = lua_typename(L, t);
    int named = 0;
    if (luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
        if (lua_type(L, -1) == LUA_TSTRING) {
            kind = lua_tostring(L, -1);
            named = 1;
        } else {
            lua_pop(L, 1);
        }
    }
    lua_getfield(L, LUA_REGISTRYINDEX, "hvsim.ids");
    lua_pushvalue(L, idx);
    lua_Integer id;
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        id = lua_tointeger(L, -1);
    } else {
        lua_getfield(L, -2, "#next");
        id = lua_tointeger(L, -1) + 1;
        lua_pop(L, 1);
        lua_pushinteger(L, id);
        lua_setfield(L, -3, "#next");
        lua_pushvalue(L, idx);
        lua_pushinteger(L, id);
        lua_rawset(L, -4);
    }
    lua_pop(L, 2);
    lua_pushfstring(L, "%s: #%I", kind, (LUAI_UACINT)id);
    if (named)
        lua_remove(L, -2);
}

static int l_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    scen_lua_tostring(L, 1);
    return 1;
}

static int l_print(lua_State *L)
{
    struct scenario *s = scen_lua_get(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        scen_lua_tostring(L, i);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    if (s->log)
        fwrite(text, 1, len, s->log);
    return 0;
}

/* ---- the budget ---- */

void scen_lua_check_stop(lua_State *L)
{
    int signo = run_stop_signal();
    if (!signo)
        return;
    luaL_where(L, 1);
    lua_pushfstring(L, "ended by %s", run_stop_name(signo));
    lua_concat(L, 2);
    lua_error(L);
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct scenario *s = scen_lua_get(L);
    scen_lua_check_stop(L); /* a script busy in Lua alone ends on a signal too */
    s->lua_used += HOOK_EVERY;
    if (s->lua_used <= s->o.budget)
        return;
    lua_Debug here;
    if (lua_getstack(L, 0, &here) && lua_getinfo(L, "Sl", &here) && here.currentline > 0)
        lua_pushfstring(L, "%s:%d: ", here.source[0] == '@' ? here.source + 1 : here.short_src, here.currentline);
    else
        lua_pushliteral(L, "");
    lua_pushfstring(L, "the script ran more than %I Lua instructions (--budget) without ending: a runaway loop?",
                    (LUAI_UACINT)s->o.budget);
    lua_concat(L, 2);
    lua_error(L);
}

/* ---- what is written in Lua ---- */

static const char prelude[] =
    "local next, sort, type, getmetatable, select = next, table.sort, type, getmetatable, select\n"
    "local rank = { number = 1, string = 2, boolean = 3 }\n"
    "local function before(a, b)\n"
    "  local ra, rb = rank[type(a)] or 4, rank[type(b)] or 4\n"
    "  if ra ~= rb then return ra < rb end\n"
    "  if ra <= 2 then return a < b end\n"
    "  if ra == 3 then return not a and b end\n"
    "  return false\n"
    "end\n"
    "pairs = function(t)\n"
    "  local mt = getmetatable(t)\n"
    "  if type(mt) == 'table' and mt.__pairs then return mt.__pairs(t) end\n"
    "  if type(t) ~= 'table' then error(\"bad argument #1 to 'pairs' (table expected, got \" .. type(t) .. ')', 2) end\n"
    "  local keys, n = {}, 0\n"
    "  for k in next, t do n = n + 1; keys[n] = k end\n"
    "  sort(keys, before)\n"
    "  local i = 0\n"
    "  return function(tt)\n"
    "    while true do\n"
    "      i = i + 1\n"
    "      local k = keys[i]\n"
    "      if k == nil then return nil end\n"
    "      local v = tt[k]\n"
    "      if v ~= nil then return k, v end\n"
    "    end\n"
    "  end, t, nil\n"
    "end\n"
    "local load0 = load\n"
    "load = function(chunk, name, mode, ...)\n"
    "  if select('#', ...) > 0 then return load0(chunk, name, 't', ...) end\n"
    "  return load0(chunk, name, 't')\n"
    "end\n";

void scen_lua_open_sandbox(lua_State *L, struct scenario *s)
{
    lua_pushlightuserdata(L, s);
    lua_setfield(L, LUA_REGISTRYINDEX, "hvsim.scenario");
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },          { LUA_STRLIBNAME, luaopen_string },
        { LUA_TABLIBNAME, luaopen_table },    { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 },    { LUA_COLIBNAME, luaopen_coroutine },
        { NULL, NULL },
    };
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* The ids of tostring, weak in their keys. */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "hvsim.ids");

    lua_pushglobaltable(L);
    static const char *const gone[] = { "dofile", "loadfile", "collectgarbage", "require", NULL };
    for (int i = 0; gone[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, gone[i]);
    }
    lua_pushcfunction(L, l_print);
    lua_setfield(L, -2, "print");
    lua_pushcfunction(L, l_tostring);
    lua_setfield(L, -2, "tostring");
    lua_getfield(L, -1, "string");
    lua_getfield(L, -1, "find");
    lua_setfield(L, LUA_REGISTRYINDEX, "hvsim.find"); /* expect's pattern search */
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getfield(L, -1, "math");
    lua_pushcfunction(L, l_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, l_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    static const luaL_Reg os[] = {
        { "time", l_os_time }, { "clock", l_os_clock }, { "date", l_os_date }, { "difftime", l_os_difftime },
        { NULL, NULL },
    };
    luaL_newlib(L, os);
    lua_setfield(L, -2, "os");
    lua_pop(L, 1);
    if (luaL_loadbufferx(L, prelude, sizeof prelude - 1, "=hvsim prelude", "t") || lua_pcall(L, 0, 0, 0)) {
        fprintf(stderr, "hvsim: internal error: the Lua prelude: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (s->o.budget)
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

static int l_unknown(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "unknown name '%s': not a scenario call (machine, sleep, now, now_ns, log, expect_eq, "
                      "assert, fail) nor a global set before (docs/scenarios.md)", k ? k : "?");
}

void scen_lua_strict(lua_State *L)
{
    lua_pushglobaltable(L);
    lua_newtable(L);
    lua_pushcfunction(L, l_unknown);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}
