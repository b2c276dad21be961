/* See baseline_findings.h. The frame a finding is located at is picked as the CI formats pick it
 * (ci_findings.c): the first frame in the source tree, else the first with a file, above main's
 * callers; else the first whose function is known. A rebuild at another -O level moves lines and
 * addresses but keeps these names, and inlined frames keep their own function names. */
#include "baseline_findings.h"

#include "findings.h"
#include "json_reader.h"
#include "source_root.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *frame_function(const struct tl__json *frame)
{
    const char *f = tl__json_string(tl__json_get(frame, "function"));
    return f && f[0] ? f : "??";
}

static const char *frame_file(const struct tl__json *frame)
{
    const char *f = tl__json_string(tl__json_get(frame, "file"));
    return f && f[0] ? f : NULL;
}

/* Frames below main, which TSan trims from its stacks too: never a site. */
static bool below_main(const struct tl__json *frame)
{
    return findings_function_below_main(frame_function(frame));
}

/* The file as the key holds it: relative to the root, else its base name (a build directory or a
 * machine of its own must not change the key). */
static const char *key_file(const char *root, const char *file)
{
    return file ? source_root_display(root, file) : NULL;
}

static const struct tl__json *pick_site(const char *root, const struct tl__json *frames)
{
    size_t n = tl__json_length(frames);
    for (size_t i = 0; i < n && !below_main(tl__json_index(frames, i)); i++) {
        const char *file = frame_file(tl__json_index(frames, i));
        if (file && source_root_relative(root, file))
            return tl__json_index(frames, i);
    }
    for (size_t i = 0; i < n && !below_main(tl__json_index(frames, i)); i++)
        if (frame_file(tl__json_index(frames, i)))
            return tl__json_index(frames, i);
    for (size_t i = 0; i < n; i++)
        if (strcmp(frame_function(tl__json_index(frames, i)), "??") != 0)
            return tl__json_index(frames, i);
    return tl__json_index(frames, 0);
}

static void locate(const char *root, const struct tl__json *frames, struct tl__bl_key *key)
{
    const struct tl__json *site = pick_site(root, frames);
    key->function = site ? frame_function(site) : "??";
    key->file = site ? key_file(root, frame_file(site)) : NULL;
}

static unsigned long count_of(const struct tl__json *node)
{
    int64_t n;
    return tl__json_get_int64(tl__json_get(node, "count"), &n) && n > 0 ? (unsigned long)n : 1;
}

static const char *routine_of(const struct tl__json *thread)
{
    return tl__json_string(tl__json_get(thread, "start_routine"));
}

/* Fills the key of a finding found at where, from its node. */
static void key_of(const char *root, struct tl__bl_finding *f)
{
    const struct tl__json *n = f->node;
    struct tl__bl_key *k = &f->key;
    const struct tl__json *first, *edge;
    switch (f->where) {
    case TL_BL_LEAK:
        k->kind = "thread_leak";
        k->start_routine = routine_of(n);
        locate(root, tl__json_get(n, "creation_stack"), k);
        f->count = count_of(n);
        break;
    case TL_BL_DEADLOCK:
        k->kind = "deadlock";
        k->detail = tl__json_string(tl__json_get(n, "kind"));
        first = tl__json_index(tl__json_get(n, "threads"), 0);
        k->start_routine = routine_of(first);
        locate(root, tl__json_get(first, "stack"), k);
        break;
    case TL_BL_LOCK_ORDER: {
        k->kind = "lock_order";
        edge = tl__json_index(tl__json_get(n, "edges"), 0);
        k->start_routine = routine_of(tl__json_get(edge, "thread"));
        /* The other end of the first edge tells two cycles through one call site apart. */
        struct tl__bl_key held = {0};
        locate(root, tl__json_get(edge, "held_at"), &held);
        k->detail = held.function;
        locate(root, tl__json_get(edge, "acquired_at"), k);
        break;
    }
    case TL_BL_MISUSE:
        k->kind = "misuse";
        k->detail = tl__json_string(tl__json_get(n, "kind"));
        k->start_routine = routine_of(tl__json_get(n, "thread"));
        locate(root, tl__json_get(n, "stack"), k);
        f->count = count_of(n);
        break;
    case TL_BL_TSAN:
        k->kind = "tsan";
        k->detail = tl__json_string(tl__json_get(n, "kind"));
        locate(root, tl__json_get(tl__json_index(tl__json_get(n, "stacks"), 0), "frames"), k);
        f->count = count_of(n);
        break;
    case TL_BL_ASAN: {
        k->kind = "asan";
        k->detail = tl__json_string(tl__json_get(n, "kind"));
        const char *tool = tl__json_string(tl__json_get(n, "tool"));
        bool leak = tool && strcmp(tool, "LeakSanitizer") == 0;
        const struct tl__json *stacks = tl__json_get(n, leak ? "leaks" : "stacks");
        locate(root, tl__json_get(tl__json_index(stacks, 0), "frames"), k);
        break;
    }
    }
}

static int add(struct tl__bl_findings *out, size_t *cap, enum tl__bl_where where,
               const struct tl__json *node, size_t process, long pid)
{
    if (out->nfinding == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct tl__bl_finding *grown = realloc(out->finding, n * sizeof *grown);
        if (!grown)
            return -1;
        out->finding = grown;
        *cap = n;
    }
    struct tl__bl_finding *f = &out->finding[out->nfinding++];
    *f = (struct tl__bl_finding){.where = where,
                                 .node = node,
                                 .process = process,
                                 .pid = pid,
                                 .count = 1,
                                 .entry = SIZE_MAX};
    key_of(out->source_root, f);
    return 0;
}

static int add_array(struct tl__bl_findings *out, size_t *cap, const struct tl__json *items,
                     enum tl__bl_where where, size_t process, long pid)
{
    for (size_t i = 0; i < tl__json_length(items); i++) {
        const struct tl__json *item = tl__json_index(items, i);
        /* Sanitizer findings carry their own pid. */
        long item_pid = process == SIZE_MAX ? (long)tl__json_int(tl__json_get(item, "pid")) : pid;
        if (add(out, cap, where, item, process, item_pid) != 0)
            return -1;
    }
    return 0;
}

static int add_all(struct tl__bl_findings *out)
{
    static const struct {
        const char *key;
        enum tl__bl_where where;
    } arrays[] = {{"leaks", TL_BL_LEAK},
                  {"deadlocks", TL_BL_DEADLOCK},
                  {"lock_order", TL_BL_LOCK_ORDER},
                  {"misuse", TL_BL_MISUSE}};
    size_t cap = 0;
    const struct tl__json *procs = tl__json_get(out->root, "processes");
    for (size_t i = 0; i < tl__json_length(procs); i++) {
        const struct tl__json *p = tl__json_index(procs, i);
        long pid = (long)tl__json_int(tl__json_get(p, "pid"));
        for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++)
            if (add_array(out, &cap, tl__json_get(p, arrays[a].key), arrays[a].where, i, pid) != 0)
                return -1;
    }
    if (add_array(out, &cap, tl__json_get(out->root, "tsan_findings"), TL_BL_TSAN, SIZE_MAX, 0) !=
            0 ||
        add_array(out, &cap, tl__json_get(out->root, "asan_findings"), TL_BL_ASAN, SIZE_MAX, 0) !=
            0)
        return -1;
    return 0;
}

int bl_findings_read(const char *json, const char *source_root, struct tl__bl_findings *out,
                     char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (source_root_resolve(source_root, out->source_root, err, errlen) != 0)
        return -1;
    char perr[160];
    out->root = tl__json_parse(json, strlen(json), perr, sizeof perr);
    if (!out->root) {
        snprintf(err, errlen, "the merged report is not valid JSON (%s)", perr);
        return -1;
    }
    if (add_all(out) != 0) {
        snprintf(err, errlen, "out of memory");
        bl_findings_free(out);
        return -1;
    }
    return 0;
}

void bl_findings_free(struct tl__bl_findings *f)
{
    free(f->finding);
    tl__json_free(f->root);
    memset(f, 0, sizeof *f);
}

static int compare_or_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

bool bl_key_equal(const struct tl__bl_key *a, const struct tl__bl_key *b)
{
    return bl_key_compare(a, b) == 0;
}

int bl_key_compare(const struct tl__bl_key *a, const struct tl__bl_key *b)
{
    int c = compare_or_null(a->kind, b->kind);
    if (!c)
        c = compare_or_null(a->file, b->file);
    if (!c)
        c = compare_or_null(a->function, b->function);
    if (!c)
        c = compare_or_null(a->start_routine, b->start_routine);
    if (!c)
        c = compare_or_null(a->detail, b->detail);
    return c;
}
