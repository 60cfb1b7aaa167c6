/* Loading and running a scenario script: a fresh Lua state with the sandbox
 * and the API, the script loaded as text (chunk name "@PATH", so every message
 * says PATH:LINE), run under a message handler that adds the script lines it
 * was called from. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "scenario_lua.h"

/* Lua names a chunk by its "short source", cut to LUA_IDSIZE with "..." in
 * front; messages name the script by its whole path instead. Upvalues: the
 * short form and the path. */
static const char *whole_path(lua_State *L, const char *text)
{
    const char *shrt = lua_tostring(L, lua_upvalueindex(1)), *full = lua_tostring(L, lua_upvalueindex(2));
    if (!shrt || !full || !strcmp(shrt, full))
        return text;
    return luaL_gsub(L, text, shrt, full);
}

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
    msg = whole_path(L, msg);
    luaL_buffinit(L, &b);
    luaL_addstring(&b, msg);
    lua_Debug ar;
    int seen = 0;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 || ar.source[0] != '@')
            continue;
        if (seen++) {
            char line[600];
            snprintf(line, sizeof line, "\n    called from %s:%d", ar.source + 1, ar.currentline);
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
    if (!s->o.no_machines) {
        scen_lua_open_api(L);
        scen_lua_open_net(L);
    }
    if (s->o.open_extra)
        s->o.open_extra(L, s->o.extra_ctx);
    scen_lua_strict(L);
    /* The short source Lua will use, from an empty chunk of the same name. */
    lua_Debug ar;
    lua_pushfstring(L, "@%s", s->o.script);
    luaL_loadbuffer(L, "", 0, lua_tostring(L, -1));
    lua_getinfo(L, ">S", &ar);
    lua_pop(L, 1);
    lua_pushstring(L, ar.short_src);
    lua_pushstring(L, s->o.script);
    lua_pushcclosure(L, msgh, 2);
    int status = luaL_loadfilex(L, s->o.script, "t");
    if (status == LUA_OK)
        status = lua_pcall(L, 0, 0, 1);
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (msg && status != LUA_ERRRUN) { /* a syntax error: the handler did not run */
            lua_pushvalue(L, 1);
            lua_getupvalue(L, -1, 1);
            lua_getupvalue(L, -2, 2);
            msg = luaL_gsub(L, msg, lua_tostring(L, -2), lua_tostring(L, -1));
        }
        fprintf(stderr, "hvsim: %s: FAIL: %s\n", s->o.what ? s->o.what : "run", msg ? msg : "(no message)");
    }
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
