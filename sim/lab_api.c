/* The Lua side of `hvsim lab` (docs/labs.md). In a lab's scenario, the `lab`
 * table: record (a result for the grader), record_run (record the machine's
 * run for replay), kernel (a test kernel of this build), name, dir, out. In a
 * grader: lab, results (what the scenario recorded), recording (a .hvrec the run
 * wrote, read back) and question (one graded answer). */
#include <lauxlib.h>
#include <lua.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "scenario.h"
#include "scenario_lua.h"
#include "traces/reclog.h"

static struct lab *get_lab(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* lab.record(key, value): value a number, string (one line) or boolean. */
static int l_record(lua_State *L)
{
    struct lab *lab = get_lab(L);
    const char *key = luaL_checkstring(L, 1);
    if (!lab_kv_key_ok(key))
        return luaL_error(L, "lab.record: key '%s': expected 1 to 63 of a-z A-Z 0-9 _ . -", key);
    int t = lua_type(L, 2);
    if (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)
        return luaL_error(L, "lab.record: %s: expected a number, a string or a boolean, got %s", key,
                          luaL_typename(L, 2));
    const char *v;
    char num[64];
    if (t == LUA_TNUMBER && !lua_isinteger(L, 2)) {
        snprintf(num, sizeof num, "%.15g", lua_tonumber(L, 2)); /* Lua's own %.14g loses a ns of a second */
        v = num;
    } else {
        v = luaL_tolstring(L, 2, NULL);
    }
    if (strchr(v, '\n') || !*v)
        return luaL_error(L, "lab.record: %s: the value must be one non-empty line", key);
    if (lab_kv_set(&lab->results, key, v))
        return luaL_error(L, "lab.record: out of memory");
    return 0;
}

/* lab.record_run{file = "run.hvrec", snapshot_every = N}: before the first machine. */
static int l_record_run(lua_State *L)
{
    struct lab *lab = get_lab(L);
    struct scenario *s = scen_lua_get(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (s->n)
        return luaL_error(L, "lab.record_run: call it before machine{} (the record starts at power-on)");
    if (s->o.record && !lab->record_set)
        return luaL_error(L, "lab.record_run: the run records to %s already", s->o.record);
    lua_getfield(L, 1, "file");
    const char *file = luaL_optstring(L, -1, "run.hvrec");
    if (strchr(file, '/') || !*file)
        return luaL_error(L, "lab.record_run: file '%s': expected a bare name (it goes in the run's folder)", file);
    lua_getfield(L, 1, "snapshot_every");
    lua_Integer every = luaL_optinteger(L, -1, 0);
    if (every < 0 || every > 1000000)
        return luaL_error(L, "lab.record_run: snapshot_every %d: expected 0 to 1000000 checkpoints", (int)every);
    snprintf(lab->record_path, sizeof lab->record_path, "%s/%s", lab->out, file);
    lab->record_set = true;
    s->o.record = lab->record_path;
    s->o.snapshot_every = (unsigned)every;
    lua_pushstring(L, lab->record_path);
    return 1;
}

/* lab.kernel(name): this build's test kernel NAME.elf, in kernels/ beside hvsim. */
static int l_kernel(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return luaL_error(L, "lab.kernel: cannot find hvsim's own folder");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, sizeof path, "%s/kernels/%s.elf", exe, name);
    if (access(path, R_OK))
        return luaL_error(L, "lab.kernel: %s is not there: build it (cmake --build BUILD --target %s)", path, name);
    lua_pushstring(L, path);
    return 1;
}

/* The `lab` table: functions with the lab as upvalue, and name, dir, out. */
static void push_lab_table(lua_State *L, struct lab *lab, bool scenario)
{
    lua_newtable(L);
    if (scenario) {
        static const luaL_Reg fns[] = {
            { "record", l_record }, { "record_run", l_record_run }, { "kernel", l_kernel }, { NULL, NULL },
        };
        lua_pushlightuserdata(L, lab);
        luaL_setfuncs(L, fns, 1);
    }
    lua_pushstring(L, lab->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, lab->dir);
    lua_setfield(L, -2, "dir");
    lua_pushstring(L, lab->out);
    lua_setfield(L, -2, "out");
}

void lab_open_scenario(lua_State *L, void *opaque)
{
    push_lab_table(L, opaque, true);
    lua_setglobal(L, "lab");
}

/* ---- the grader ---- */

/* A results value as Lua sees it: a number when the text is one, true/false, else the text. */
static void push_value(lua_State *L, const char *v)
{
    if (!strcmp(v, "true") || !strcmp(v, "false"))
        lua_pushboolean(L, v[0] == 't');
    else if (!lua_stringtonumber(L, v))
        lua_pushstring(L, v);
}

/* results.KEY for a key the scenario did not record: say which it did. */
static int l_results_missing(lua_State *L)
{
    struct lab *lab = get_lab(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; i < lab->results.n; i++) {
        if (i)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, lab->results.kv[i].key);
    }
    luaL_pushresult(&b);
    const char *have = lua_tostring(L, -1);
    const char *key = luaL_tolstring(L, 2, NULL);
    return luaL_error(L, "results: the scenario recorded no '%s' (it recorded: %s)", key, have);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

/* recording(file): a .hvrec of the run's folder, read back: seed, status,
 * end_ns, end_s, end_instructions, checkpoints, inputs, snapshots {{time_ns,
 * time_s, instructions}...}. */
static int l_recording(lua_State *L)
{
    struct lab *lab = get_lab(L);
    const char *file = luaL_checkstring(L, 1);
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", lab->out, file);
    struct reclog_reader *r = reclog_reader_open(path, 0);
    if (!r)
        return luaL_error(L, "recording: %s cannot be read (did the scenario record it? the log above says why)",
                          path);
    const struct reclog_end *e = reclog_reader_end(r);
    lua_newtable(L);
    set_int(L, "seed", reclog_reader_header(r)->seed);
    set_int(L, "status", (uint64_t)(int64_t)e->exit_status);
    set_int(L, "end_ns", e->time);
    set_num(L, "end_s", (double)e->time / 1e9);
    set_int(L, "end_instructions", e->icount);
    set_int(L, "checkpoints", reclog_reader_n_checkpoints(r));
    set_int(L, "inputs", reclog_reader_n_inputs(r));
    lua_newtable(L);
    for (size_t i = 0; i < reclog_reader_n_snapshots(r); i++) {
        struct reclog_snapshot_info si;
        if (reclog_reader_snapshot_info(r, i, &si))
            break;
        lua_newtable(L);
        set_int(L, "time_ns", si.time);
        set_num(L, "time_s", (double)si.time / 1e9);
        set_int(L, "instructions", si.icount);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "snapshots");
    reclog_reader_close(r);
    return 1;
}

/* An answer as compared: trimmed, lower case, runs of blanks as one space. */
static void normalize(const char *in, char *out, size_t len)
{
    size_t n = 0;
    bool space = false;
    while (*in == ' ' || *in == '\t')
        in++;
    for (; *in && n + 1 < len; in++) {
        if (*in == ' ' || *in == '\t') {
            space = true;
            continue;
        }
        if (space && n + 2 < len)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)tolower((unsigned char)*in);
    }
    out[n] = '\0';
}

/* Does answer a match the expected value at idx? Numbers within tol, text
 * after normalize, booleans as yes/no/true/false. -1: the answer is not of the
 * expected kind (why in *why). */
static int matches(lua_State *L, int idx, const char *a, double tol, const char **why)
{
    char na[512], ne[512];
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
        char *end;
        double v = strtod(a, &end);
        while (*end == ' ')
            end++;
        if (end == a || *end) {
            *why = "is not a number";
            return -1;
        }
        return fabs(v - lua_tonumber(L, idx)) <= tol;
    }
    case LUA_TBOOLEAN:
        normalize(a, na, sizeof na);
        if (!strcmp(na, "yes") || !strcmp(na, "true"))
            return lua_toboolean(L, idx);
        if (!strcmp(na, "no") || !strcmp(na, "false"))
            return !lua_toboolean(L, idx);
        *why = "is not yes or no";
        return -1;
    case LUA_TSTRING:
        normalize(a, na, sizeof na);
        normalize(lua_tostring(L, idx), ne, sizeof ne);
        return !strcmp(na, ne);
    default:
        luaL_error(L, "question: expect: a number, a string, a boolean or a list of them, got %s",
                   luaL_typename(L, idx));
        return 0;
    }
}

/* question{key=, ask=, expect=, tolerance=, check=, hint=}: grade one answer. */
static int l_question(lua_State *L)
{
    struct lab *lab = get_lab(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "key");     /* 2 */
    lua_getfield(L, 1, "expect");  /* 3 */
    lua_getfield(L, 1, "check");   /* 4 */
    lua_getfield(L, 1, "hint");    /* 5 */
    lua_getfield(L, 1, "tolerance"); /* 6 */
    const char *key = lua_tostring(L, 2);
    if (!key || !lab_kv_key_ok(key))
        return luaL_error(L, "question: 'key' must be 1 to 63 of a-z A-Z 0-9 _ . - (the answers file's key)");
    if (lua_isnil(L, 3) && !lua_isfunction(L, 4))
        return luaL_error(L, "question '%s': give 'expect' (a value or a list) or 'check' (a function)", key);
    double tol = luaL_optnumber(L, 6, 0);
    const char *hint = luaL_optstring(L, 5, NULL);
    if (lab->nq == LAB_MAX_QUESTIONS)
        return luaL_error(L, "question: at most %d questions", LAB_MAX_QUESTIONS);
    for (int i = 0; i < lab->nq; i++)
        if (!strcmp(lab->q[i].key, key))
            return luaL_error(L, "question '%s' is declared twice", key);
    struct lab_verdict *v = &lab->q[lab->nq++];
    snprintf(v->key, sizeof v->key, "%s", key);
    const struct lab_kv *a = lab_kv_find(&lab->answers, key);
    if (!a) {
        snprintf(v->msg, sizeof v->msg, "no answer in %s%s%s", lab->answers.path, hint ? ". Hint: " : "",
                 hint ? hint : "");
        return 0;
    }
    int ok = 0;
    const char *why = NULL;
    if (lua_isfunction(L, 4)) {
        lua_pushvalue(L, 4);
        lua_pushstring(L, a->value);
        lua_call(L, 1, 2);
        ok = lua_toboolean(L, -2);
        why = lua_tostring(L, -1);
    } else if (lua_istable(L, 3)) {
        lua_Integer n = luaL_len(L, 3);
        for (lua_Integer i = 1; i <= n && ok != 1; i++) {
            lua_geti(L, 3, i);
            ok = matches(L, lua_gettop(L), a->value, tol, &why);
            lua_pop(L, 1);
        }
        why = NULL; /* "is not a number" of one accepted answer says nothing of the others */
    } else {
        ok = matches(L, 3, a->value, tol, &why);
    }
    v->pass = ok == 1;
    if (!v->pass)
        snprintf(v->msg, sizeof v->msg, "%s:%d: your answer '%s' %s%s%s", lab->answers.path, a->line, a->value,
                 why ? why : "is not right", hint ? ". Hint: " : "", hint ? hint : "");
    return 0;
}

void lab_open_grader(lua_State *L, void *opaque)
{
    struct lab *lab = opaque;
    push_lab_table(L, lab, false);
    lua_setglobal(L, "lab");
    lua_newtable(L);
    for (int i = 0; i < lab->results.n; i++) {
        push_value(L, lab->results.kv[i].value);
        lua_setfield(L, -2, lab->results.kv[i].key);
    }
    lua_newtable(L);
    lua_pushlightuserdata(L, lab);
    lua_pushcclosure(L, l_results_missing, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setglobal(L, "results");
    lua_pushlightuserdata(L, lab);
    lua_pushcclosure(L, l_recording, 1);
    lua_setglobal(L, "recording");
    lua_pushlightuserdata(L, lab);
    lua_pushcclosure(L, l_question, 1);
    lua_setglobal(L, "question");
}
