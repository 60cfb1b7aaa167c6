/* What the Lua files of the scenario runner share: the scenario behind a Lua
 * state, virtual-time arguments, the deterministic tostring, and the two halves
 * of the global environment (the API and the sandboxed standard library). */
#ifndef SIM_SCENARIO_LUA_H
#define SIM_SCENARIO_LUA_H

#include <lua.h>

#include "base/vtime.h"

struct scenario;

/* The scenario this state runs (the registry's "hvsim.scenario"). */
struct scenario *scen_lua_get(lua_State *L);
/* Argument idx as a virtual time: seconds (a number) or "10ms"-style text. */
vtime_t scen_lua_time(lua_State *L, int idx, const char *what);
/* Push tostring(value at idx) without host addresses: tables, functions and
 * the like print as "table: #N", N counted in the order they are first shown. */
void scen_lua_tostring(lua_State *L, int idx);

/* machine, sleep, now, now_ns, log, expect_eq, assert, fail (scenario_api.c). */
void scen_lua_open_api(lua_State *L);
/* The `net` table: start, client, capture, link, counters, ports (scenario_net.c). */
void scen_lua_open_net(lua_State *L);
/* The standard library without host access or host randomness, os.time and
 * friends on the simulation's clock, math.random on the run's seed, pairs in a
 * fixed order, strict globals and the instruction budget (scenario_sandbox.c). */
void scen_lua_open_sandbox(lua_State *L, struct scenario *s);
/* When a signal asked the run to end (run_stop.h), raise the script's error
 * "FILE:LINE: ended by SIGINT" so it unwinds and the runner closes everything. */
void scen_lua_check_stop(lua_State *L);
/* After the API is in place: unknown global names become errors. */
void scen_lua_strict(lua_State *L);

#endif
