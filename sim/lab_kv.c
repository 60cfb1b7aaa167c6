/* The `key = value` text files of `hvsim lab` (docs/labs.md): a student's
 * answers and a run's results. One pair a line, `#` comment lines and blank
 * lines skipped; every mistake is reported as FILE:LINE with the key. */
#define _GNU_SOURCE /* getline */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

#define LINE_MAX_BYTES 4096

bool lab_kv_key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)key[i]) && key[i] != '_' && key[i] != '.' && key[i] != '-')
            return false;
    return true;
}

const struct lab_kv *lab_kv_find(const struct lab_kvfile *f, const char *key)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->kv[i].key, key))
            return &f->kv[i];
    return NULL;
}

static int add(struct lab_kvfile *f, const char *key, const char *value, int line)
{
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        struct lab_kv *kv = realloc(f->kv, (size_t)cap * sizeof *kv);
        if (!kv)
            return -1;
        f->kv = kv;
        f->cap = cap;
    }
    struct lab_kv *e = &f->kv[f->n];
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = line;
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return -1;
    }
    f->n++;
    return 0;
}

int lab_kv_set(struct lab_kvfile *f, const char *key, const char *value)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->kv[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return -1;
            free(f->kv[i].value);
            f->kv[i].value = v;
            return 0;
        }
    return add(f, key, value, 0);
}

void lab_kv_free(struct lab_kvfile *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->kv[i].key);
        free(f->kv[i].value);
    }
    free(f->kv);
    f->kv = NULL;
    f->n = f->cap = 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int lab_kv_read(struct lab_kvfile *f, const char *path, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int line = 0, r = 0;

    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    FILE *in = fopen(path, "r");
    if (!in) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&buf, &cap, in)) > 0) {
        line++;
        if (len > LINE_MAX_BYTES) {
            snprintf(err, errlen, "%s:%d: the line is longer than %d bytes", path, line, LINE_MAX_BYTES);
            r = -1;
            break;
        }
        if (memchr(buf, '\0', (size_t)len)) {
            snprintf(err, errlen, "%s:%d: a NUL byte: expected text", path, line);
            r = -1;
            break;
        }
        char *s = buf;
        if (line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
            s += 3; /* a UTF-8 byte-order mark, as some editors write */
        s = trim(s);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value', got '%.80s'", path, line, s);
            r = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (!lab_kv_key_ok(key)) {
            snprintf(err, errlen, "%s:%d: key '%.80s': expected 1 to 63 of a-z A-Z 0-9 _ . -", path, line, key);
            r = -1;
            break;
        }
        if (!*value) {
            snprintf(err, errlen, "%s:%d: key '%s' has no value (write one, or leave the line out)", path, line,
                     key);
            r = -1;
            break;
        }
        const struct lab_kv *old = lab_kv_find(f, key);
        if (old) {
            snprintf(err, errlen, "%s:%d: key '%s' is given twice (first at line %d)", path, line, key, old->line);
            r = -1;
            break;
        }
        if (add(f, key, value, line)) {
            snprintf(err, errlen, "%s: out of memory", path);
            r = -1;
            break;
        }
    }
    if (!r && ferror(in)) {
        snprintf(err, errlen, "%s: read error", path);
        r = -1;
    }
    free(buf);
    fclose(in);
    if (r)
        lab_kv_free(f);
    return r;
}
