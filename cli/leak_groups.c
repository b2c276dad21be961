/* Grouping the leaks of several processes. The key is what a reader fixes: start routine, state
 * ("running" or "exited"), and the creation site by function, file and line; a site without line
 * info by function, module and offset. Never a pc, a pid or a tid, which differ from process to
 * process. */
#include "leak_groups.h"

#include "findings.h"
#include "json_reader.h"
#include "json_writer.h"
#include "source_root.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct site {
    const char *function, *file, *module, *offset; /* file, module, offset may be NULL */
    int64_t line;                                  /* 0 when unknown */
};

struct group {
    char *start_routine, *state;
    char *function, *file, *module, *offset;
    int64_t line;
    uint64_t count;
    long *pids; /* one per process report, in the order they were added */
    size_t npids;
    char **labels; /* distinct, in order of first appearance */
    size_t nlabels;
    size_t last_report; /* the report that last added to it, so its pid goes in once */
};

struct tl__leak_groups {
    struct group *items;
    size_t n, cap;
    size_t reports; /* reports added so far */
    bool failed;
};

struct tl__leak_groups *leak_groups_new(void)
{
    return calloc(1, sizeof(struct tl__leak_groups));
}

static const char *string_or(const struct tl__json *v, const char *fallback)
{
    const char *s = tl__json_string(v);
    return s ? s : fallback;
}

static struct site site_of_frame(const struct tl__json *frame)
{
    struct site s = {
        .function = string_or(tl__json_get(frame, "function"), "??"),
        .file = tl__json_string(tl__json_get(frame, "file")),
        .module = tl__json_string(tl__json_get(frame, "module")),
        .offset = tl__json_string(tl__json_get(frame, "offset")),
    };
    if (!tl__json_get_int64(tl__json_get(frame, "line"), &s.line) || s.line < 0)
        s.line = 0;
    return s;
}

/* The leak's created_at; for a report written before it existed, the same rule over its
 * creation stack: the first frame outside the C++ standard library, above main's callers. */
static struct site site_of_leak(const struct tl__json *leak)
{
    const struct tl__json *created_at = tl__json_get(leak, "created_at");
    if (tl__json_type(created_at) == TL_JSON_OBJECT)
        return site_of_frame(created_at);
    const struct tl__json *stack = tl__json_get(leak, "creation_stack");
    size_t n = tl__json_length(stack);
    for (size_t i = 0; i < n; i++) {
        struct site s = site_of_frame(tl__json_index(stack, i));
        if (findings_function_below_main(s.function))
            break;
        if (strncmp(s.function, "std::", 5) != 0)
            return s;
    }
    if (n > 0)
        return site_of_frame(tl__json_index(stack, 0));
    return (struct site){.function = "??"};
}

static bool same_string(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_key(const struct group *g, const char *routine, const char *state,
                     const struct site *s)
{
    if (!same_string(g->start_routine, routine) || !same_string(g->state, state) ||
        !same_string(g->function, s->function) || !same_string(g->file, s->file))
        return false;
    if (s->file) /* line info: the line tells sites apart, not the address */
        return g->line == s->line;
    return same_string(g->module, s->module) && same_string(g->offset, s->offset);
}

static char *dup_or_null(const char *s, bool *failed)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        *failed = true;
    return copy;
}

static struct group *new_group(struct tl__leak_groups *g, const char *routine, const char *state,
                               const struct site *s)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        struct group *grown = realloc(g->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        g->items = grown;
        g->cap = cap;
    }
    struct group *item = &g->items[g->n++];
    bool failed = false;
    *item = (struct group){
        .start_routine = dup_or_null(routine, &failed),
        .state = dup_or_null(state, &failed),
        .function = dup_or_null(s->function, &failed),
        .file = dup_or_null(s->file, &failed),
        .module = dup_or_null(s->module, &failed),
        .offset = dup_or_null(s->offset, &failed),
        .line = s->file ? s->line : 0,
        .last_report = SIZE_MAX,
    };
    return failed ? NULL : item;
}

static int add_process(struct group *item, size_t report, long pid, const char *label)
{
    if (item->last_report == report)
        return 0;
    item->last_report = report;
    long *pids = realloc(item->pids, (item->npids + 1) * sizeof *pids);
    if (!pids)
        return -1;
    item->pids = pids;
    item->pids[item->npids++] = pid;
    if (!label)
        return 0;
    for (size_t i = 0; i < item->nlabels; i++)
        if (strcmp(item->labels[i], label) == 0)
            return 0;
    char **labels = realloc(item->labels, (item->nlabels + 1) * sizeof *labels);
    if (!labels)
        return -1;
    item->labels = labels;
    item->labels[item->nlabels] = strdup(label);
    return item->labels[item->nlabels++] ? 0 : -1;
}

static int add_leak(struct tl__leak_groups *g, const struct tl__json *leak, long pid,
                    const char *label)
{
    const char *routine = string_or(tl__json_get(leak, "start_routine"), "??");
    const char *state = string_or(tl__json_get(leak, "state"), "running");
    struct site s = site_of_leak(leak);
    int64_t count = 1;
    if (!tl__json_get_int64(tl__json_get(leak, "count"), &count) || count < 1)
        count = 1;
    struct group *item = NULL;
    for (size_t i = 0; i < g->n && !item; i++)
        if (same_key(&g->items[i], routine, state, &s))
            item = &g->items[i];
    if (!item)
        item = new_group(g, routine, state, &s);
    if (!item)
        return -1;
    item->count += (uint64_t)count;
    return add_process(item, g->reports, pid, label);
}

int leak_groups_add_report(struct tl__leak_groups *g, const struct tl__json *report, long pid,
                           const char *label, leak_groups_keep *keep, const void *ctx)
{
    const struct tl__json *leaks = tl__json_get(report, "leaks");
    size_t n = tl__json_length(leaks);
    for (size_t i = 0; i < n && !g->failed; i++) {
        const struct tl__json *leak = tl__json_index(leaks, i);
        if ((!keep || keep(ctx, leak)) && add_leak(g, leak, pid, label) != 0)
            g->failed = true;
    }
    g->reports++;
    return g->failed ? -1 : 0;
}

static int compare_strings(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Most threads first; then by key, so that equal counts keep one order whatever the input's. */
static int compare_groups(const void *pa, const void *pb)
{
    const struct group *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    int c = compare_strings(a->start_routine, b->start_routine);
    if (!c)
        c = compare_strings(a->state, b->state);
    if (!c)
        c = compare_strings(a->file, b->file);
    if (!c && a->line != b->line)
        c = a->line < b->line ? -1 : 1;
    if (!c)
        c = compare_strings(a->function, b->function);
    if (!c)
        c = compare_strings(a->module, b->module);
    if (!c)
        c = compare_strings(a->offset, b->offset);
    return c;
}

static void write_created_at(struct tl__json_writer *w, const struct group *item)
{
    tl__jw_key(w, "created_at");
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "function", item->function);
    tl__jw_member_string(w, "file", item->file);
    tl__jw_key(w, "line");
    if (item->line > 0)
        tl__jw_int(w, item->line);
    else
        tl__jw_null(w);
    tl__jw_member_string(w, "module", item->module);
    tl__jw_member_string(w, "offset", item->offset);
    tl__jw_end_object(w);
}

static void write_group(struct tl__json_writer *w, const struct group *item)
{
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "start_routine", item->start_routine);
    tl__jw_member_string(w, "state", item->state);
    write_created_at(w, item);
    tl__jw_member_uint64(w, "count", item->count);
    tl__jw_key(w, "processes");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < item->npids; i++)
        tl__jw_int(w, item->pids[i]);
    tl__jw_end_array(w);
    tl__jw_key(w, "labels");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < item->nlabels; i++)
        tl__jw_string(w, item->labels[i]);
    tl__jw_end_array(w);
    tl__jw_end_object(w);
}

static void write_groups(struct tl__json_writer *w, const void *ctx)
{
    const struct tl__leak_groups *g = ctx;
    tl__jw_begin_array(w);
    for (size_t i = 0; i < g->n; i++)
        write_group(w, &g->items[i]);
    tl__jw_end_array(w);
}

char *leak_groups_json(struct tl__leak_groups *g)
{
    if (g->failed)
        return NULL;
    if (g->n > 1)
        qsort(g->items, g->n, sizeof *g->items, compare_groups);
    return tl__jw_to_string(write_groups, g);
}

void leak_groups_free(struct tl__leak_groups *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        struct group *item = &g->items[i];
        free(item->start_routine);
        free(item->state);
        free(item->function);
        free(item->file);
        free(item->module);
        free(item->offset);
        free(item->pids);
        for (size_t k = 0; k < item->nlabels; k++)
            free(item->labels[k]);
        free(item->labels);
    }
    free(g->items);
    free(g);
}
