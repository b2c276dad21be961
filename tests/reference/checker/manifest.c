/* Reading NAME.expect.json (the format is in docs/reference-corpus.md) into struct manifest. A
 * manifest that lacks a member the checks rely on is an error, not a silent pass. */
#include "corpus.h"

#include "json_reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fail(struct outcome *o, const char *fmt, ...)
{
    size_t len = strlen(o->reasons);
    if (len + 3 >= sizeof o->reasons)
        return;
    if (len > 0) {
        strcpy(o->reasons + len, "; ");
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reasons + len, sizeof o->reasons - len, fmt, ap);
    va_end(ap);
    o->failed = true;
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 + 1 > cap) {
            cap = (*len + 4096 + 1) * 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t n = fread(buf + *len, 1, cap - *len - 1, f);
        *len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static void copy_string(char *dst, const struct tl__json *v)
{
    const char *s = tl__json_string(v);
    snprintf(dst, NAME_MAX_LEN, "%s", s ? s : "");
}

static bool load_leak(const struct tl__json *j, struct group *g)
{
    const char *state = tl__json_string(tl__json_get(j, "state"));
    int64_t count;
    if (!state || !tl__json_get_int64(tl__json_get(j, "count"), &count) || count < 1 ||
        !tl__json_string(tl__json_get(j, "start_routine")) ||
        !tl__json_string(tl__json_get(j, "created_by_function")))
        return false;
    memset(g, 0, sizeof *g);
    copy_string(g->start_routine, tl__json_get(j, "start_routine"));
    g->count = (unsigned)count;
    g->running = strcmp(state, "running") == 0;
    g->detached = tl__json_bool(tl__json_get(j, "detached"));
    const char *api = tl__json_string(tl__json_get(j, "api"));
    g->c11 = api && strcmp(api, "thrd_create") == 0;
    g->cancelled = tl__json_bool(tl__json_get(j, "cancelled"));
    const char *process = tl__json_string(tl__json_get(j, "process"));
    g->in_child = process && strcmp(process, "child") == 0;
    copy_string(g->created_by, tl__json_get(j, "created_by"));
    copy_string(g->created_by_function, tl__json_get(j, "created_by_function"));
    copy_string(g->user_function, tl__json_get(j, "user_function"));
    copy_string(g->user_created_by_function, tl__json_get(j, "user_created_by_function"));
    return strcmp(state, "running") == 0 || strcmp(state, "finished") == 0;
}

static bool load_tsan_leaks(const struct tl__json *arr, struct manifest_tsan *t)
{
    for (size_t i = 0; i < tl__json_length(arr) && t->nleaks < MAX_GROUPS; i++) {
        const struct tl__json *j = tl__json_index(arr, i);
        struct tsan_leak *l = &t->leaks[t->nleaks++];
        int64_t count;
        const char *by = tl__json_string(tl__json_get(j, "created_by"));
        if (!tl__json_get_int64(tl__json_get(j, "count"), &count) || !by)
            return false;
        l->count = (unsigned)count;
        copy_string(l->created_by_function, tl__json_get(j, "created_by_function"));
        l->by_main = strcmp(by, "main thread") == 0;
    }
    return true;
}

static bool load_tsan(const struct tl__json *j, struct manifest_tsan *t)
{
    const struct tl__json *code = tl__json_get(j, "exit_code");
    int64_t v;
    t->has_exit_code = tl__json_get_int64(code, &v);
    t->exit_code = (int)v;
    if (!t->has_exit_code && !tl__json_is_null(code))
        return false;
    t->hangs = tl__json_bool(tl__json_get(j, "hangs"));
    t->crashes = tl__json_bool(tl__json_get(j, "crashes"));
    t->data_races = (unsigned)tl__json_int(tl__json_get(j, "data_races"));
    t->lock_order_inversions = (unsigned)tl__json_int(tl__json_get(j, "lock_order_inversions"));
    const struct tl__json *other = tl__json_get(j, "other_warnings");
    for (size_t i = 0; i < tl__json_length(other) && t->nother < MAX_GROUPS; i++) {
        const char *kind;
        const struct tl__json *n = tl__json_member(other, i, &kind);
        snprintf(t->other[t->nother].kind, NAME_MAX_LEN, "%s", kind);
        t->other[t->nother++].count = (unsigned)tl__json_int(n);
    }
    const struct tl__json *msgs = tl__json_get(j, "messages");
    for (size_t i = 0; i < tl__json_length(msgs) && t->nmessages < 16; i++)
        copy_string(t->messages[t->nmessages++], tl__json_index(msgs, i));
    return tl__json_type(tl__json_get(j, "thread_leaks")) == TL_JSON_ARRAY &&
           load_tsan_leaks(tl__json_get(j, "thread_leaks"), t);
}

static void add_line(char *list, size_t cap, const char *line)
{
    size_t len = strlen(list);
    snprintf(list + len, cap - len, "%s%s", len ? "\n" : "", line);
}

/* "asan": {"exit_code", "memory_leaks": [{type, bytes, objects, allocated_by_function}],
 * "errors": {KIND: N}, "messages": [...]}, as an asan_verdict to compare with. A program that
 * deadlocks has "exit_code": null and "hangs": true (the ASan check does not run it). */
static bool load_asan(const struct tl__json *j, struct manifest_asan *a, bool deadlocks)
{
    int64_t code = -1;
    const struct tl__json *leaks = tl__json_get(j, "memory_leaks");
    if (deadlocks && tl__json_is_null(tl__json_get(j, "exit_code")) &&
        tl__json_bool(tl__json_get(j, "hangs")))
        code = -1;
    else if (!tl__json_get_int64(tl__json_get(j, "exit_code"), &code))
        return false;
    if (tl__json_type(leaks) != TL_JSON_ARRAY)
        return false;
    a->exit_code = (int)code;
    struct asan_verdict *v = &a->expected;
    for (size_t i = 0; i < tl__json_length(leaks); i++) {
        const struct tl__json *l = tl__json_index(leaks, i);
        const char *type = tl__json_string(tl__json_get(l, "type"));
        const char *fn = tl__json_string(tl__json_get(l, "allocated_by_function"));
        int64_t bytes, objects;
        if (!type || !fn || !tl__json_get_int64(tl__json_get(l, "bytes"), &bytes) ||
            !tl__json_get_int64(tl__json_get(l, "objects"), &objects))
            return false;
        char line[NAME_MAX_LEN + 64];
        snprintf(line, sizeof line, "%s|%lld|%lld|%s", type, (long long)bytes, (long long)objects,
                 fn);
        add_line(v->signature, sizeof v->signature, line);
    }
    v->leak_reports = tl__json_length(leaks) > 0;
    const struct tl__json *errors = tl__json_get(j, "errors");
    for (size_t i = 0; i < tl__json_length(errors); i++) {
        const char *kind;
        int64_t n = tl__json_int(tl__json_member(errors, i, &kind));
        for (int64_t k = 0; k < n; k++) {
            char line[NAME_MAX_LEN + 8];
            snprintf(line, sizeof line, "error|%s", kind);
            add_line(v->signature, sizeof v->signature, line);
        }
    }
    sort_lines(v->signature);
    const struct tl__json *msgs = tl__json_get(j, "messages");
    for (size_t i = 0; i < tl__json_length(msgs); i++, v->nmessages++) {
        const char *text = tl__json_string(tl__json_index(msgs, i));
        add_line(v->messages, sizeof v->messages, text ? text : "");
    }
    return true;
}

static const char *load(const struct tl__json *root, struct manifest *m)
{
    if (!tl__json_string(tl__json_get(root, "program")))
        return "no \"program\"";
    copy_string(m->program, tl__json_get(root, "program"));
    m->exit_code = (int)tl__json_int(tl__json_get(root, "exit_code"));
    const struct tl__json *leaks = tl__json_get(root, "leaks");
    if (tl__json_type(leaks) != TL_JSON_ARRAY || tl__json_length(leaks) > MAX_GROUPS)
        return "no \"leaks\" array";
    for (size_t i = 0; i < tl__json_length(leaks); i++) {
        if (!load_leak(tl__json_index(leaks, i), &m->leaks.groups[m->leaks.ngroups++]))
            return "a leak entry lacks state, count, start_routine or created_by_function";
    }
    const struct tl__json *locks = tl__json_get(root, "locks");
    m->locks.present = locks != NULL && !tl__json_is_null(locks);
    const char *problem =
        lock_verdict_from_manifest(m->locks.present ? locks : NULL, &m->locks.expected);
    if (problem)
        return problem;
    m->deadlocks = m->locks.expected.deadlocks[0] != '\0';
    if (m->locks.present && !tl__json_get_int64(tl__json_get(locks, "exit_code"), &(int64_t){0}))
        return "the \"locks\" block has no integer \"exit_code\"";
    m->locks.exit_code = (int)tl__json_int(tl__json_get(locks, "exit_code"));
    if (!load_tsan(tl__json_get(root, "tsan"), &m->tsan))
        return "a malformed \"tsan\" block";
    m->has_tsan_clang = tl__json_get(root, "tsan_clang") != NULL;
    if (m->has_tsan_clang && !load_tsan(tl__json_get(root, "tsan_clang"), &m->tsan_clang))
        return "a malformed \"tsan_clang\" block";
    m->has_tsan_gcc = tl__json_get(root, "tsan_gcc") != NULL;
    if (m->has_tsan_gcc && !load_tsan(tl__json_get(root, "tsan_gcc"), &m->tsan_gcc))
        return "a malformed \"tsan_gcc\" block";
    if (!load_asan(tl__json_get(root, "asan"), &m->asan, m->deadlocks))
        return "a missing or malformed \"asan\" block";
    m->differs_from_tsan = tl__json_string(tl__json_get(root, "differs_from_tsan")) != NULL;
    m->clean = tl__json_bool(tl__json_get(root, "clean"));
    if (m->clean != (m->leaks.ngroups == 0))
        return "\"clean\" disagrees with \"leaks\"";
    return NULL;
}

int manifest_load(const char *dir, const char *name, struct manifest *m, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.expect.json", dir, name);
    size_t len;
    char *text = read_whole(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char jerr[160];
    struct tl__json *root = tl__json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!root) {
        snprintf(err, errlen, "%s: %s", path, jerr);
        return -1;
    }
    memset(m, 0, sizeof *m);
    const char *problem = load(root, m);
    tl__json_free(root);
    if (problem) {
        snprintf(err, errlen, "%s: %s", path, problem);
        return -1;
    }
    return 0;
}

void manifest_tsan_mode_leaks(const struct manifest *m, struct verdict *out)
{
    out->ngroups = 0;
    for (size_t i = 0; i < m->leaks.ngroups; i++) {
        const struct group *g = &m->leaks.groups[i];
        if (!g->running && !g->detached)
            out->groups[out->ngroups++] = *g;
    }
}

const struct manifest_tsan *manifest_tsan_for(const struct manifest *m, const char *variant)
{
    if (variant && strncmp(variant, "clang-", 6) == 0 && m->has_tsan_clang)
        return &m->tsan_clang;
    if (variant && strncmp(variant, "gcc-", 4) == 0 && m->has_tsan_gcc)
        return &m->tsan_gcc;
    return &m->tsan;
}

bool manifest_tsan_has_verdict(const struct manifest_tsan *t)
{
    return !t->hangs && !t->crashes && t->nmessages == 0;
}

static bool tsan_block_quiet(const struct manifest_tsan *t)
{
    return !t->crashes && t->nleaks == 0 && t->data_races == 0 && t->lock_order_inversions == 0 &&
           t->nother == 0;
}

bool manifest_lock_program_quiet_for_tsan(const struct manifest *m)
{
    return m->locks.present && tsan_block_quiet(&m->tsan) &&
           (!m->has_tsan_clang || tsan_block_quiet(&m->tsan_clang)) &&
           (!m->has_tsan_gcc || tsan_block_quiet(&m->tsan_gcc));
}
