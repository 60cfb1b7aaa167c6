/* `hvsim lab` (docs/labs.md): a lab is a folder with scenario.lua, README.md and
 * grader.lua. The scenario hands results to the grader through the `lab` table
 * (lab.record → DIR/results.txt); the grader reads them and the student's
 * answers (key = value files, lab_kv.c) and declares questions that pass or fail. */
#ifndef SIM_LAB_H
#define SIM_LAB_H

#include <stdbool.h>
#include <stddef.h>

struct lua_State;

/* One `key = value` line of an answers or results file. */
struct lab_kv {
    char *key, *value;
    int line;
};

struct lab_kvfile {
    char path[4096];
    struct lab_kv *kv;
    int n, cap;
};

/* Read a key = value file (docs/labs.md, "Answers"): 0; 1 when it does not
 * exist; -1 with "FILE:LINE: ..." in err. */
int lab_kv_read(struct lab_kvfile *f, const char *path, char *err, size_t errlen);
/* Add or replace key (keeps the first position). 0, or -1 out of memory. */
int lab_kv_set(struct lab_kvfile *f, const char *key, const char *value);
const struct lab_kv *lab_kv_find(const struct lab_kvfile *f, const char *key);
void lab_kv_free(struct lab_kvfile *f);
/* A key: 1 to 63 of a-z A-Z 0-9 _ . - */
bool lab_kv_key_ok(const char *key);

/* A question the grader declared and how it went. */
struct lab_verdict {
    char key[64];
    bool pass;
    char msg[512];
};

#define LAB_MAX_QUESTIONS 64

/* What `hvsim lab` shares with the Lua side (lab_api.c). */
struct lab {
    const char *dir;       /* the lab's folder, as given */
    char name[256];        /* its last path component: "05-txqueuelen" */
    const char *out;       /* the run's folder */
    struct lab_kvfile results;
    bool record_set;       /* lab.record_run was called */
    char record_path[4200];
    /* The grader's side. */
    struct lab_kvfile answers;
    bool have_answers;
    struct lab_verdict q[LAB_MAX_QUESTIONS];
    int nq;
    struct scenario *s;
};

/* scenario_opts.open_extra for a scenario: the `lab` table. */
void lab_open_scenario(struct lua_State *L, void *lab);
/* ... and for a grader: lab, results, recording, question. */
void lab_open_grader(struct lua_State *L, void *lab);

#endif
