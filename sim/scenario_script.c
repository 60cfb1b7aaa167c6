/* Loading and running a scenario script: a fresh Lua state with the sandbox
 * and the API, the script loaded as text (chunk name "@PATH", so every message
 * says PATH:LINE), run under a message handler that adds the script lines it
 * was called from. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>

#include "scenario.h"
#include "scenario_lua.h"

/* The error message, then "called from PATH:LINE" for each script frame below
 * the one that failed. */
static int msgh(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, msg);
    lua_Debug ar;
    int seen = 0;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 || ar.source[0] != '@')
            continue;
        if (seen++) {
            char line[600];
            snprintf(line, sizeof line, "\n    called from %s:%d", ar.short_src, ar.currentline);
            luaL_addstring(&b, line);
        }
    }
    luaL_pushresult(&b);
    return 1;
}

int scenario_run_script(struct scenario *s)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "hvsim: error: out of memory for Lua\n");
        return 1;
    }
    scen_lua_open_sandbox(L, s);
    scen_lua_open_api(L);
    scen_lua_strict(L);
    lua_pushcfunction(L, msgh);
    int status = luaL_loadfilex(L, s->o.script, "t");
    if (status == LUA_OK)
        status = lua_pcall(L, 0, 0, 1);
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "hvsim: run: FAIL: %s\n", msg ? msg : "(no message)");
    }
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
