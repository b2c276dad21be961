/* See baseline.h: reading, building and writing the baseline file. */
#include "baseline.h"

#include "atomic_file.h"
#include "json_reader.h"
#include "json_writer.h"
#include "text_format.h"
#include "toolbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BASELINE_SIZE (64u << 20) /* far beyond any real baseline; stops a runaway file */

static const char about[] = "Known findings of threadleak. `threadleak run --baseline FILE` and "
                            "`threadleak merge --baseline FILE` fail only on findings not listed "
                            "here; --write-baseline FILE rewrites it. See docs/cli.md, Baselines.";

/* --- reading --- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A string member, or absent/null when optional: *out NULL then. Returns what is wrong, or NULL. */
static const char *read_string(const struct tl__json *entry, const char *key, bool required,
                               const char **out)
{
    const struct tl__json *v = tl__json_get(entry, key);
    *out = tl__json_string(v);
    if (*out && (*out)[0])
        return NULL;
    if (!required && (!v || tl__json_is_null(v)))
        return NULL;
    return required ? "a non-empty string is required" : "must be a non-empty string or null";
}

static void free_key(struct tl__bl_key *k)
{
    free((char *)k->kind);
    free((char *)k->detail);
    free((char *)k->start_routine);
    free((char *)k->function);
    free((char *)k->file);
}

static int copy_key(const struct tl__bl_key *from, struct tl__bl_key *to)
{
    *to = (struct tl__bl_key){dup_or_null(from->kind), dup_or_null(from->detail),
                              dup_or_null(from->start_routine), dup_or_null(from->function),
                              dup_or_null(from->file)};
    if ((from->kind && !to->kind) || (from->detail && !to->detail) ||
        (from->start_routine && !to->start_routine) || (from->function && !to->function) ||
        (from->file && !to->file)) {
        free_key(to);
        return -1;
    }
    return 0;
}

/* Entry i of the file into b->entry[i]; what is wrong with it, or NULL. */
static const char *read_entry(const struct tl__json *e, struct tl__baseline_entry *out,
                              const char **member)
{
    struct tl__bl_key k = {0};
    const char *note = NULL, *problem = NULL;
    static const char *const names[] = {"kind",          "function", "detail",
                                        "start_routine", "file",     "note"};
    const char **fields[] = {&k.kind, &k.function, &k.detail, &k.start_routine, &k.file, &note};
    if (tl__json_type(e) != TL_JSON_OBJECT)
        return "is not an object";
    for (size_t i = 0; i < sizeof fields / sizeof *fields && !problem; i++) {
        problem = read_string(e, names[i], i < 2, fields[i]);
        *member = names[i];
    }
    if (problem)
        return problem;
    int64_t count;
    *member = "count";
    if (!tl__json_get_int64(tl__json_get(e, "count"), &count) || count < 1)
        return "an integer of at least 1 is required";
    if (copy_key(&k, &out->key) != 0)
        return "out of memory";
    if (note && !(out->note = strdup(note))) {
        free_key(&out->key);
        return "out of memory";
    }
    out->count = (unsigned long)count;
    return NULL;
}

static int read_entries(const struct tl__json *findings, struct tl__baseline *b, char *err,
                        size_t errlen, const char *path)
{
    size_t n = tl__json_length(findings);
    b->entry = calloc(n ? n : 1, sizeof *b->entry);
    if (!b->entry) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *member = "";
        const char *problem = read_entry(tl__json_index(findings, i), &b->entry[i], &member);
        if (problem) {
            snprintf(err, errlen, "%s: findings[%zu]%s%s: %s", path, i, member[0] ? "." : "",
                     member, problem);
            return -1;
        }
        b->nentry++;
        size_t twin = baseline_find(b, &b->entry[i].key);
        if (twin != i) {
            snprintf(err, errlen, "%s: findings[%zu] has the key of findings[%zu]", path, i, twin);
            return -1;
        }
    }
    return 0;
}

int baseline_load(const char *path, struct tl__baseline *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    size_t len;
    char *text = tl__read_file_at(AT_FDCWD, path, MAX_BASELINE_SIZE, &len);
    if (!text) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char perr[160];
    struct tl__json *root = tl__json_parse(text, len, perr, sizeof perr);
    free(text);
    int64_t format = 0;
    int rc = -1;
    if (!root)
        snprintf(err, errlen, "%s is not valid JSON (%s)", path, perr);
    else if (!tl__json_get_int64(tl__json_get(root, "threadleak_baseline"), &format))
        snprintf(err, errlen,
                 "%s is not a threadleak baseline (no \"threadleak_baseline\" member; "
                 "--write-baseline writes one)",
                 path);
    else if (format != TL_BASELINE_FORMAT)
        snprintf(err, errlen,
                 "%s: \"threadleak_baseline\": %lld is not a layout this version reads "
                 "(%d)",
                 path, (long long)format, TL_BASELINE_FORMAT);
    else if (tl__json_type(tl__json_get(root, "findings")) != TL_JSON_ARRAY)
        snprintf(err, errlen, "%s has no \"findings\" array", path);
    else
        rc = read_entries(tl__json_get(root, "findings"), b, err, errlen, path);
    tl__json_free(root);
    if (rc != 0)
        baseline_free(b);
    return rc;
}

/* --- building --- */

size_t baseline_find(const struct tl__baseline *b, const struct tl__bl_key *key)
{
    for (size_t i = 0; i < b->nentry; i++)
        if (bl_key_equal(&b->entry[i].key, key))
            return i;
    return SIZE_MAX;
}

/* " (file)" or "" */
static char *where(const struct tl__bl_key *k)
{
    return k->file ? text_format("%s (%s)", k->function, k->file) : text_format("%s", k->function);
}

char *baseline_describe(const struct tl__bl_key *k)
{
    char *at = where(k);
    if (!at)
        return NULL;
    const char *routine = k->start_routine ? k->start_routine : "main thread";
    const char *detail = k->detail ? k->detail : "?";
    char *s;
    if (strcmp(k->kind, "thread_leak") == 0)
        s = text_format("leaked thread (%s), created in %s", routine, at);
    else if (strcmp(k->kind, "deadlock") == 0)
        s = text_format("deadlock (%s): thread (%s) waits in %s", detail, routine, at);
    else if (strcmp(k->kind, "lock_order") == 0)
        s = text_format(
            "lock-order inversion: thread (%s) locks in %s while holding a lock taken in %s",
            routine, at, detail);
    else if (strcmp(k->kind, "misuse") == 0)
        s = text_format("pthread misuse (%s) by thread (%s) in %s", detail, routine, at);
    else if (strcmp(k->kind, "tsan") == 0)
        s = text_format("ThreadSanitizer: %s in %s", detail, at);
    else if (strcmp(k->kind, "asan") == 0)
        s = text_format("%s in %s", detail, at);
    else
        s = text_format("%s (%s) in %s", k->kind, detail, at);
    free(at);
    return s;
}

static int by_key(const void *a, const void *b)
{
    const struct tl__baseline_entry *x = a, *y = b;
    return bl_key_compare(&x->key, &y->key);
}

static int add_entry(struct tl__baseline *b, size_t *cap, const struct tl__bl_finding *f)
{
    if (b->nentry == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct tl__baseline_entry *grown = realloc(b->entry, n * sizeof *grown);
        if (!grown)
            return -1;
        b->entry = grown;
        *cap = n;
    }
    struct tl__baseline_entry *e = &b->entry[b->nentry];
    *e = (struct tl__baseline_entry){.count = f->count, .seen = f->count};
    if (copy_key(&f->key, &e->key) != 0)
        return -1;
    b->nentry++;
    return (e->note = baseline_describe(&e->key)) ? 0 : -1;
}

int baseline_from_findings(const struct tl__bl_findings *f, struct tl__baseline *b)
{
    memset(b, 0, sizeof *b);
    size_t cap = 0;
    for (size_t i = 0; i < f->nfinding; i++) {
        size_t e = baseline_find(b, &f->finding[i].key);
        if (e != SIZE_MAX) {
            b->entry[e].count += f->finding[i].count;
            b->entry[e].seen = b->entry[e].count;
        } else if (add_entry(b, &cap, &f->finding[i]) != 0) {
            baseline_free(b);
            return -1;
        }
    }
    if (b->nentry > 1)
        qsort(b->entry, b->nentry, sizeof *b->entry, by_key);
    return 0;
}

/* --- writing --- */

static int write_content(FILE *out, const void *ctx)
{
    const struct tl__baseline *b = ctx;
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_member_int(&w, "threadleak_baseline", TL_BASELINE_FORMAT);
    tl__jw_member_string(&w, "about", about);
    tl__jw_key(&w, "findings");
    tl__jw_begin_array(&w);
    for (size_t i = 0; i < b->nentry; i++) {
        const struct tl__baseline_entry *e = &b->entry[i];
        tl__jw_begin_object(&w);
        tl__jw_member_string(&w, "kind", e->key.kind);
        if (e->key.detail)
            tl__jw_member_string(&w, "detail", e->key.detail);
        tl__jw_member_string(&w, "start_routine", e->key.start_routine);
        tl__jw_member_string(&w, "function", e->key.function);
        tl__jw_member_string(&w, "file", e->key.file);
        tl__jw_member_uint64(&w, "count", e->count);
        if (e->note)
            tl__jw_member_string(&w, "note", e->note);
        tl__jw_end_object(&w);
    }
    tl__jw_end_array(&w);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w);
}

int baseline_write(const char *path, const struct tl__baseline *b, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) : 1;
    if (!name[0] || dirlen >= sizeof dir) {
        snprintf(err, errlen, "--write-baseline %s: not a file name", path);
        return -1;
    }
    if (slash)
        memcpy(dir, path, dirlen);
    else
        dir[0] = '.';
    dir[dirlen] = '\0';
    if (slash && dirlen == 0)
        strcpy(dir, "/");
    if (tl__write_file_atomic(dir, name, write_content, b, NULL, 0) != 0) {
        snprintf(err, errlen, "--write-baseline %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void baseline_free(struct tl__baseline *b)
{
    for (size_t i = 0; i < b->nentry; i++) {
        free_key(&b->entry[i].key);
        free(b->entry[i].note);
    }
    free(b->entry);
    memset(b, 0, sizeof *b);
}
