/* The lock module's findings (deadlocks, lock-order cycles, misuse), from threadleak's merged JSON
 * or from a manifest's `locks` block, normalised into struct lock_verdict and compared; and TSan's
 * lock reports compared with ours. A finding is reduced to what a manifest can state and a run
 * must reproduce: kinds, counts, functions, and the file:line of each order edge. */
#include "corpus.h"

#include "json_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_line(char *list, size_t cap, const char *line, char sep)
{
    size_t len = strlen(list);
    if (len + strlen(line) + 2 < cap)
        snprintf(list + len, cap - len, "%s%s", len ? (char[]){sep, '\0'} : "", line);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the sep-separated items of text in place. */
static void sort_items(char *text, char sep)
{
    size_t n = 0, len = strlen(text);
    if (len == 0)
        return;
    char *copy = strdup(text);
    char **items = calloc(len + 1, sizeof *items);
    char seps[2] = {sep, '\0'};
    for (char *save = NULL, *p = strtok_r(copy, seps, &save); p; p = strtok_r(NULL, seps, &save))
        items[n++] = p;
    qsort(items, n, sizeof *items, compare_strings);
    char *out = text;
    for (size_t i = 0; i < n; i++) {
        size_t item = strlen(items[i]);
        if (i > 0)
            *out++ = sep;
        memmove(out, items[i], item); /* the same length as before: it fits */
        out += item;
    }
    *out = '\0';
    free(items);
    free(copy);
}

bool frame_site(const char *file, unsigned line, char *out, size_t len)
{
    if (!file || line == 0)
        return false;
    const char *slash = strrchr(file, '/');
    snprintf(out, len, "%s:%u", slash ? slash + 1 : file, line);
    return true;
}

/* ---- threadleak's merged JSON ---- */

static void json_frame_site(const struct tl__json *stack, char *out, size_t len)
{
    const struct tl__json *f = tl__json_index(stack, 0);
    if (!frame_site(tl__json_string(tl__json_get(f, "file")),
                    (unsigned)tl__json_int(tl__json_get(f, "line")), out, len))
        snprintf(out, len, "?");
}

static void cycle_from_json(const struct tl__json *item, struct lock_cycle_view *c)
{
    memset(c, 0, sizeof *c);
    const struct tl__json *locks = tl__json_get(item, "locks");
    c->nlocks = (unsigned)tl__json_length(locks);
    for (size_t i = 0; i < tl__json_length(locks); i++) {
        const char *type = tl__json_string(tl__json_get(tl__json_index(locks, i), "type"));
        add_line(c->types, sizeof c->types, type ? type : "?", ',');
    }
    const struct tl__json *edges = tl__json_get(item, "edges");
    for (size_t i = 0; i < tl__json_length(edges); i++) {
        const struct tl__json *e = tl__json_index(edges, i);
        char held[NAME_MAX_LEN], acquired[NAME_MAX_LEN], edge[2 * NAME_MAX_LEN + 2];
        json_frame_site(tl__json_get(e, "held_at"), held, sizeof held);
        json_frame_site(tl__json_get(e, "acquired_at"), acquired, sizeof acquired);
        snprintf(edge, sizeof edge, "%s>%s", held, acquired);
        add_line(c->edges, sizeof c->edges, edge, '\n');
        add_line(c->acquired, sizeof c->acquired, acquired, ',');
    }
    sort_items(c->types, ',');
    sort_items(c->edges, '\n');
    sort_items(c->acquired, ',');
}

static void process_locks(const struct tl__json *proc, struct lock_verdict *out)
{
    const struct tl__json *deadlocks = tl__json_get(proc, "deadlocks");
    for (size_t i = 0; i < tl__json_length(deadlocks); i++) {
        const struct tl__json *d = tl__json_index(deadlocks, i);
        const char *kind = tl__json_string(tl__json_get(d, "kind"));
        char line[NAME_MAX_LEN + 16];
        snprintf(line, sizeof line, "%s|%zu", kind ? kind : "?",
                 tl__json_length(tl__json_get(d, "threads")));
        add_line(out->deadlocks, sizeof out->deadlocks, line, '\n');
    }
    const struct tl__json *misuse = tl__json_get(proc, "misuse");
    for (size_t i = 0; i < tl__json_length(misuse); i++) {
        const struct tl__json *u = tl__json_index(misuse, i);
        const char *kind = tl__json_string(tl__json_get(u, "kind"));
        const struct tl__json *top = tl__json_index(tl__json_get(u, "stack"), 0);
        const char *fn = tl__json_string(tl__json_get(top, "function"));
        char line[2 * NAME_MAX_LEN + 32];
        snprintf(line, sizeof line, "%s|%lld|%s", kind ? kind : "?",
                 (long long)tl__json_int(tl__json_get(u, "count")), fn ? fn : "?");
        add_line(out->misuse, sizeof out->misuse, line, '\n');
    }
    const struct tl__json *order = tl__json_get(proc, "lock_order");
    for (size_t i = 0; i < tl__json_length(order) && out->ncycles < MAX_GROUPS; i++)
        cycle_from_json(tl__json_index(order, i), &out->cycles[out->ncycles++]);
}

int lock_verdict_from_merged_json(const char *json, struct lock_verdict *out, char *err,
                                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct tl__json *root = tl__json_parse(json, strlen(json), err, errlen);
    if (!root)
        return -1;
    const struct tl__json *procs = tl__json_get(root, "processes");
    if (tl__json_type(procs) != TL_JSON_ARRAY) {
        snprintf(err, errlen, "no \"processes\" array");
        tl__json_free(root);
        return -1;
    }
    for (size_t p = 0; p < tl__json_length(procs); p++)
        process_locks(tl__json_index(procs, p), out);
    tl__json_free(root);
    sort_items(out->deadlocks, '\n');
    sort_items(out->misuse, '\n');
    return 0;
}

/* ---- the manifest's `locks` block ----
 * "locks": {"exit_code": 68,
 *           "deadlocks": [{"kind": "lock_cycle", "count": 1, "threads": 2}],
 *           "lock_order": [{"locks": 2, "types": ["mutex", "mutex"],
 *                           "edges": [{"held_at": "F.c:35", "acquired_at": "F.c:37"}, ...]}],
 *           "misuse": [{"kind": "unlock_unlocked", "count": 1, "function": "pool_release"}]} */

static const char *manifest_cycle(const struct tl__json *j, struct lock_cycle_view *c)
{
    memset(c, 0, sizeof *c);
    int64_t nlocks;
    const struct tl__json *types = tl__json_get(j, "types");
    const struct tl__json *edges = tl__json_get(j, "edges");
    if (!tl__json_get_int64(tl__json_get(j, "locks"), &nlocks) ||
        tl__json_length(types) != (size_t)nlocks || tl__json_length(edges) != (size_t)nlocks)
        return "a lock_order item needs \"locks\": N, and N \"types\" and N \"edges\"";
    c->nlocks = (unsigned)nlocks;
    for (size_t i = 0; i < tl__json_length(types); i++) {
        const char *t = tl__json_string(tl__json_index(types, i));
        add_line(c->types, sizeof c->types, t ? t : "?", ',');
    }
    for (size_t i = 0; i < tl__json_length(edges); i++) {
        const struct tl__json *e = tl__json_index(edges, i);
        const char *held = tl__json_string(tl__json_get(e, "held_at"));
        const char *acquired = tl__json_string(tl__json_get(e, "acquired_at"));
        if (!held || !acquired)
            return "a lock_order edge needs \"held_at\" and \"acquired_at\" (FILE:LINE)";
        char edge[2 * NAME_MAX_LEN + 2];
        snprintf(edge, sizeof edge, "%s>%s", held, acquired);
        add_line(c->edges, sizeof c->edges, edge, '\n');
        add_line(c->acquired, sizeof c->acquired, acquired, ',');
    }
    sort_items(c->types, ',');
    sort_items(c->edges, '\n');
    sort_items(c->acquired, ',');
    return NULL;
}

const char *lock_verdict_from_manifest(const struct tl__json *block, struct lock_verdict *out)
{
    memset(out, 0, sizeof *out);
    if (!block)
        return NULL;
    const struct tl__json *deadlocks = tl__json_get(block, "deadlocks");
    const struct tl__json *order = tl__json_get(block, "lock_order");
    const struct tl__json *misuse = tl__json_get(block, "misuse");
    if (tl__json_type(deadlocks) != TL_JSON_ARRAY || tl__json_type(order) != TL_JSON_ARRAY ||
        tl__json_type(misuse) != TL_JSON_ARRAY)
        return "the \"locks\" block needs the arrays \"deadlocks\", \"lock_order\" and \"misuse\"";
    for (size_t i = 0; i < tl__json_length(deadlocks); i++) {
        const struct tl__json *d = tl__json_index(deadlocks, i);
        const char *kind = tl__json_string(tl__json_get(d, "kind"));
        int64_t count, threads;
        if (!kind || !tl__json_get_int64(tl__json_get(d, "count"), &count) ||
            !tl__json_get_int64(tl__json_get(d, "threads"), &threads))
            return "a deadlocks item needs \"kind\", \"count\" and \"threads\"";
        for (int64_t k = 0; k < count; k++) {
            char line[NAME_MAX_LEN + 16];
            snprintf(line, sizeof line, "%s|%lld", kind, (long long)threads);
            add_line(out->deadlocks, sizeof out->deadlocks, line, '\n');
        }
    }
    for (size_t i = 0; i < tl__json_length(misuse); i++) {
        const struct tl__json *u = tl__json_index(misuse, i);
        const char *kind = tl__json_string(tl__json_get(u, "kind"));
        const char *fn = tl__json_string(tl__json_get(u, "function"));
        int64_t count;
        if (!kind || !fn || !tl__json_get_int64(tl__json_get(u, "count"), &count))
            return "a misuse item needs \"kind\", \"count\" and \"function\"";
        char line[2 * NAME_MAX_LEN + 32];
        snprintf(line, sizeof line, "%s|%lld|%s", kind, (long long)count, fn);
        add_line(out->misuse, sizeof out->misuse, line, '\n');
    }
    for (size_t i = 0; i < tl__json_length(order) && out->ncycles < MAX_GROUPS; i++) {
        const char *problem =
            manifest_cycle(tl__json_index(order, i), &out->cycles[out->ncycles++]);
        if (problem)
            return problem;
    }
    sort_items(out->deadlocks, '\n');
    sort_items(out->misuse, '\n');
    return NULL;
}

/* ---- comparisons ---- */

static void one_line(const char *text, char *out, size_t len)
{
    snprintf(out, len, "%s", text[0] ? text : "none");
    for (char *p = out; *p; p++)
        *p = *p == '\n' ? ' ' : *p;
}

static void describe_cycle(const struct lock_cycle_view *c, char *out, size_t len)
{
    char edges[sizeof c->edges];
    one_line(c->edges, edges, sizeof edges);
    snprintf(out, len, "%u locks (%s): %s", c->nlocks, c->types, edges);
}

static bool cycles_match(const struct lock_cycle_view *a, const struct lock_cycle_view *b)
{
    return a->nlocks == b->nlocks && strcmp(a->types, b->types) == 0 &&
           strcmp(a->edges, b->edges) == 0;
}

void compare_lock_verdicts(struct outcome *o, const char *what, const struct lock_verdict *expected,
                           const struct lock_verdict *got)
{
    char a[4200], b[4200];
    if (strcmp(expected->deadlocks, got->deadlocks) != 0) {
        one_line(expected->deadlocks, a, sizeof a);
        one_line(got->deadlocks, b, sizeof b);
        fail(o, "%s: deadlocks (KIND|THREADS) expected [%s], got [%s]", what, a, b);
    }
    if (strcmp(expected->misuse, got->misuse) != 0) {
        one_line(expected->misuse, a, sizeof a);
        one_line(got->misuse, b, sizeof b);
        fail(o, "%s: misuse (KIND|COUNT|FUNCTION) expected [%s], got [%s]", what, a, b);
    }
    bool used[MAX_GROUPS] = {false};
    for (size_t i = 0; i < expected->ncycles; i++) {
        size_t j = 0;
        while (j < got->ncycles &&
               (used[j] || !cycles_match(&expected->cycles[i], &got->cycles[j])))
            j++;
        if (j < got->ncycles) {
            used[j] = true;
            continue;
        }
        describe_cycle(&expected->cycles[i], a, sizeof a);
        fail(o, "%s: missing lock-order cycle [%s]", what, a);
    }
    for (size_t j = 0; j < got->ncycles; j++) {
        if (!used[j]) {
            describe_cycle(&got->cycles[j], b, sizeof b);
            fail(o, "%s: unexpected lock-order cycle [%s]", what, b);
        }
    }
}

void compare_tsan_inversions(struct outcome *o, const char *what, const struct tsan_verdict *t,
                             const struct lock_verdict *ours)
{
    bool used[MAX_GROUPS] = {false};
    for (size_t i = 0; i < t->ninversions; i++) {
        size_t j = 0;
        while (j < ours->ncycles && (used[j] || strcmp(t->inversions[i], ours->cycles[j].acquired)))
            j++;
        if (j < ours->ncycles)
            used[j] = true;
        else
            fail(o, "%s: TSan's lock-order inversion acquired at [%s] is none of ours", what,
                 t->inversions[i]);
    }
}

/* TSan's report kinds of lock misuse, and the misuse kinds of ours that each may be. */
static const struct {
    const char *tsan_kind;
    const char *ours[2];
} misuse_kinds[] = {
    {"unlock of an unlocked mutex", {"unlock_unlocked", "unlock_not_owner"}},
    {"destroy of a locked mutex", {"destroy_locked", NULL}},
    {"use of an invalid mutex", {"lock_destroyed", NULL}},
};

static bool ours_has(const struct lock_verdict *ours, const char *kind, const char *fn)
{
    char prefix[NAME_MAX_LEN + 2];
    snprintf(prefix, sizeof prefix, "%s|", kind);
    for (const char *p = ours->misuse; *p;) {
        size_t len = strcspn(p, "\n");
        const char *bar = memchr(p, '|', len);
        const char *last = bar ? memchr(bar + 1, '|', len - (size_t)(bar + 1 - p)) : NULL;
        if (strncmp(p, prefix, strlen(prefix)) == 0 && last &&
            (size_t)(p + len - (last + 1)) == strlen(fn) && strncmp(last + 1, fn, strlen(fn)) == 0)
            return true;
        p += len + (p[len] == '\n');
    }
    return false;
}

void compare_tsan_lock_reports(struct outcome *o, const char *what, const struct tsan_verdict *t,
                               const struct lock_verdict *ours)
{
    for (const char *p = t->lock_reports; *p;) {
        size_t len = strcspn(p, "\n");
        char line[NAME_MAX_LEN * 2];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        char *bar = strchr(line, '|');
        if (bar) {
            *bar = '\0';
            for (size_t k = 0; k < sizeof misuse_kinds / sizeof misuse_kinds[0]; k++) {
                if (strncmp(line, misuse_kinds[k].tsan_kind, strlen(misuse_kinds[k].tsan_kind)))
                    continue;
                bool found = false;
                for (int i = 0; i < 2 && misuse_kinds[k].ours[i]; i++)
                    found |= ours_has(ours, misuse_kinds[k].ours[i], bar + 1);
                if (!found)
                    fail(o, "%s: TSan reports '%s' in %s; threadleak reports no %s there", what,
                         line, bar + 1, misuse_kinds[k].ours[0]);
            }
        }
        p += len + (p[len] == '\n');
    }
}
