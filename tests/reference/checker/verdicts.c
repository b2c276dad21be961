/* Normalising threadleak's and TSan's verdicts, and comparing them. */
#include "corpus.h"

#include "json_reader.h"
#include "tsan_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

/* A demangled C++ name carries its parameters ("std::thread::_M_start_thread(std::unique_ptr<...>,
 * void (*)())"); the manifests name the function without them. */
static bool names_match(const char *expected, const char *got)
{
    size_t n = strlen(expected);
    return strncmp(expected, got, n) == 0 && (got[n] == '\0' || got[n] == '(');
}

/* libstdc++'s execute_native_thread_routine is static and Debian ships no symbols for it; the
 * shim names the user's callable behind it instead (shim/cxx_threads.h): for a lambda, the
 * function it is written in, e.g. "ConfigWatcher::start()::{lambda()#1}". */
static bool start_routines_match(const struct group *expected, const char *got)
{
    if (names_match(expected->start_routine, got))
        return true;
    if (!expected->user_function[0])
        return false;
    return strstr(got, expected->user_function) ||
           (expected->user_created_by_function[0] &&
            strstr(got, expected->user_created_by_function));
}

/* Whether a '\n'-separated list of functions holds one that matches name. */
static bool list_has(const char *list, const char *name)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, "\n");
        char fn[NAME_MAX_LEN];
        snprintf(fn, sizeof fn, "%.*s", (int)len, p);
        if (names_match(name, fn))
            return true;
        p += len + (p[len] == '\n');
    }
    return false;
}

static void append_line(char *list, size_t cap, const char *line)
{
    size_t len = strlen(list);
    if (len + strlen(line) + 2 < cap)
        snprintf(list + len, cap - len, "%s%s", len ? "\n" : "", line);
}

/* ---- threadleak's merged JSON ---- */

static bool is_thread_entry(const char *fn)
{
    return strcmp(fn, "start_thread") == 0 || strcmp(fn, "clone") == 0 ||
           strcmp(fn, "clone3") == 0 || strncmp(fn, "__tsan", 6) == 0;
}

/* The start routine of the thread that called pthread_create: the outermost frame of the creation
 * stack before the thread-entry frames. The JSON names the creator only by tid and name. */
static void creator_start_routine(const struct tl__json *stack, char *out)
{
    snprintf(out, NAME_MAX_LEN, "?");
    for (size_t i = 0; i < tl__json_length(stack); i++) {
        const char *fn = tl__json_string(tl__json_get(tl__json_index(stack, i), "function"));
        if (fn && is_thread_entry(fn)) {
            const char *prev =
                i ? tl__json_string(tl__json_get(tl__json_index(stack, i - 1), "function")) : NULL;
            if (prev)
                snprintf(out, NAME_MAX_LEN, "%s", prev);
            return;
        }
    }
}

static void join_functions(const struct tl__json *stack, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < tl__json_length(stack); i++) {
        const char *fn = tl__json_string(tl__json_get(tl__json_index(stack, i), "function"));
        if (fn)
            append_line(out, cap, fn);
    }
}

static void group_from_leak(const struct tl__json *leak, bool in_child, struct group *g)
{
    memset(g, 0, sizeof *g);
    const char *sr = tl__json_string(tl__json_get(leak, "start_routine"));
    snprintf(g->start_routine, sizeof g->start_routine, "%s", sr ? sr : "");
    g->count = (unsigned)tl__json_int(tl__json_get(leak, "count"));
    const char *state = tl__json_string(tl__json_get(leak, "state"));
    g->running = state && strcmp(state, "running") == 0;
    g->detached = tl__json_bool(tl__json_get(leak, "detached"));
    g->c11 = tl__json_bool(tl__json_get(leak, "c11"));
    g->cancelled = tl__json_length(tl__json_get(leak, "cancelled")) > 0;
    g->in_child = in_child;
    const struct tl__json *stack = tl__json_get(leak, "creation_stack");
    if (tl__json_bool(tl__json_get(tl__json_get(leak, "created_by"), "main")))
        snprintf(g->created_by, sizeof g->created_by, "main");
    else
        creator_start_routine(stack, g->created_by);
    const char *first = tl__json_string(tl__json_get(tl__json_index(stack, 0), "function"));
    snprintf(g->created_by_function, sizeof g->created_by_function, "%s", first ? first : "");
    join_functions(stack, g->creation_functions, sizeof g->creation_functions);
    join_functions(tl__json_get(leak, "current_stack"), g->current_functions,
                   sizeof g->current_functions);
}

int verdict_from_merged_json(const char *json, struct verdict *out, char *err, size_t errlen)
{
    out->ngroups = 0;
    struct tl__json *root = tl__json_parse(json, strlen(json), err, errlen);
    if (!root)
        return -1;
    const struct tl__json *procs = tl__json_get(root, "processes");
    if (tl__json_type(procs) != TL_JSON_ARRAY) {
        snprintf(err, errlen, "no \"processes\" array");
        tl__json_free(root);
        return -1;
    }
    for (size_t p = 0; p < tl__json_length(procs); p++) {
        const struct tl__json *leaks = tl__json_get(tl__json_index(procs, p), "leaks");
        for (size_t i = 0; i < tl__json_length(leaks) && out->ngroups < MAX_GROUPS; i++)
            group_from_leak(tl__json_index(leaks, i), p > 0, &out->groups[out->ngroups++]);
    }
    tl__json_free(root);
    return 0;
}

unsigned verdict_threads(const struct verdict *v)
{
    unsigned n = 0;
    for (size_t i = 0; i < v->ngroups; i++)
        n += v->groups[i].count;
    return n;
}

/* ---- TSan ---- */

struct finding_view {
    const char *kind;
    unsigned count;
    const char *function; /* leaks: the creator; others: the first frame of the first stack */
    bool by_main;
};

static int compare_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the findings to out: leaks, kinds, and the sorted signature. */
static void fill_tsan_verdict(const struct finding_view *f, size_t n, struct tsan_verdict *out)
{
    char **lines = calloc(n + 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        const char *fn = f[i].function ? f[i].function : "?";
        if (strcmp(f[i].kind, "thread leak") == 0 && out->nleaks < MAX_GROUPS) {
            struct tsan_leak *l = &out->leaks[out->nleaks++];
            l->count = f[i].count;
            l->by_main = f[i].by_main;
            snprintf(l->created_by_function, sizeof l->created_by_function, "%s", fn);
        }
        size_t k = 0;
        while (k < out->nkinds && strcmp(out->kinds[k].kind, f[i].kind) != 0)
            k++;
        if (k == out->nkinds && k < MAX_GROUPS)
            snprintf(out->kinds[out->nkinds++].kind, NAME_MAX_LEN, "%s", f[i].kind);
        if (k < out->nkinds)
            out->kinds[k].count++;
        size_t len = strlen(f[i].kind) + strlen(fn) + 32;
        lines[i] = malloc(len);
        snprintf(lines[i], len, "%s|%u|%s", f[i].kind, f[i].count, fn);
    }
    qsort(lines, n, sizeof *lines, compare_lines);
    for (size_t i = 0; i < n; i++) {
        append_line(out->signature, sizeof out->signature, lines[i]);
        free(lines[i]);
    }
    free(lines);
}

/* The first frame of a stack outside TSan's runtime (its interceptors have no file, as clang
 * prints them, or one in libsanitizer's sources, as gcc prints them), as "FILE:LINE". */
static bool user_site(const struct tl__tsan_stack *s, char *out, size_t len, const char **fn)
{
    for (size_t i = 0; i < s->nframes; i++) {
        const struct tl__tsan_frame *f = &s->frames[i];
        if (f->file && !strstr(f->file, "sanitizer") && frame_site(f->file, f->line, out, len)) {
            if (fn)
                *fn = f->function;
            return true;
        }
    }
    return false;
}

static int compare_sites(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* A lock-order-inversion report as its acquisition sites: each "Mutex M1 acquired here while
 * holding mutex M0" stack's first frame outside the runtime, sorted. */
static void inversion_sites(const struct tl__tsan_finding *r, char *out, size_t len)
{
    char sites[MAX_GROUPS][NAME_MAX_LEN];
    size_t n = 0;
    for (size_t i = 0; i < r->nstacks && n < MAX_GROUPS; i++) {
        const struct tl__tsan_stack *s = &r->stacks[i];
        if (!s->title || strncmp(s->title, "Mutex ", 6) != 0 ||
            !strstr(s->title, "acquired here while holding"))
            continue;
        if (!user_site(s, sites[n], sizeof sites[n], NULL))
            snprintf(sites[n], sizeof sites[n], "?");
        n++;
    }
    qsort(sites, n, sizeof sites[0], compare_sites);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i ? "," : "", sites[i]);
    }
}

/* TSan's lock reports: inversions by their sites, the misuse kinds by kind and function. */
static void lock_reports(const struct tl__tsan_report_set *set, struct tsan_verdict *out)
{
    static const char *const misuse[] = {"double lock of a mutex",
                                         "unlock of an unlocked mutex",
                                         "destroy of a locked mutex",
                                         "use of an invalid mutex",
                                         "read lock of a write locked mutex",
                                         "read unlock of a write locked mutex"};
    for (size_t i = 0; i < set->nfindings; i++) {
        const struct tl__tsan_finding *r = &set->findings[i];
        if (strncmp(r->kind, "lock-order-inversion", 20) == 0 && out->ninversions < MAX_GROUPS) {
            inversion_sites(r, out->inversions[out->ninversions], sizeof out->inversions[0]);
            out->ninversions++;
            continue;
        }
        for (size_t k = 0; k < sizeof misuse / sizeof misuse[0]; k++) {
            char site[NAME_MAX_LEN], line[2 * NAME_MAX_LEN + 2];
            const char *fn = NULL;
            if (strncmp(r->kind, misuse[k], strlen(misuse[k])) != 0)
                continue;
            if (!r->nstacks || !user_site(&r->stacks[0], site, sizeof site, &fn) || !fn)
                fn = "?";
            snprintf(line, sizeof line, "%s|%s", r->kind, fn);
            append_line(out->lock_reports, sizeof out->lock_reports, line);
        }
    }
}

void tsan_verdict_from_set(const struct tl__tsan_report_set *set, struct tsan_verdict *out)
{
    memset(out, 0, sizeof *out);
    struct finding_view *f = calloc(set->nfindings + 1, sizeof *f);
    for (size_t i = 0; i < set->nfindings; i++) {
        const struct tl__tsan_finding *r = &set->findings[i];
        bool leak = strcmp(r->kind, "thread leak") == 0;
        const char *first =
            r->nstacks && r->stacks[0].nframes ? r->stacks[0].frames[0].function : NULL;
        f[i] = (struct finding_view){r->kind, r->count, leak ? r->creator_function : first,
                                     r->created_by && strcmp(r->created_by, "main thread") == 0};
    }
    fill_tsan_verdict(f, set->nfindings, out);
    free(f);
    lock_reports(set, out);
    for (size_t i = 0; i < set->nmessages; i++, out->nmessages++)
        append_line(out->messages, sizeof out->messages, set->messages[i].text);
}

int tsan_verdict_from_merged_json(const char *json, struct tsan_verdict *out, char *err,
                                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct tl__json *root = tl__json_parse(json, strlen(json), err, errlen);
    if (!root)
        return -1;
    const struct tl__json *arr = tl__json_get(root, "tsan_findings");
    if (tl__json_type(arr) != TL_JSON_ARRAY) {
        snprintf(err, errlen, "no \"tsan_findings\" array in the merged JSON");
        tl__json_free(root);
        return -1;
    }
    size_t n = tl__json_length(arr);
    struct finding_view *f = calloc(n + 1, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        const struct tl__json *j = tl__json_index(arr, i);
        const char *kind = tl__json_string(tl__json_get(j, "kind"));
        bool leak = kind && strcmp(kind, "thread leak") == 0;
        const struct tl__json *frame0 =
            tl__json_index(tl__json_get(tl__json_index(tl__json_get(j, "stacks"), 0), "frames"), 0);
        const char *by = tl__json_string(tl__json_get(j, "created_by"));
        f[i] = (struct finding_view){kind ? kind : "?",
                                     (unsigned)tl__json_int(tl__json_get(j, "count")),
                                     tl__json_string(leak ? tl__json_get(j, "created_by_function")
                                                          : tl__json_get(frame0, "function")),
                                     by && strcmp(by, "main thread") == 0};
    }
    fill_tsan_verdict(f, n, out);
    free(f);
    const struct tl__json *msgs = tl__json_get(root, "tsan_messages");
    for (size_t i = 0; i < tl__json_length(msgs); i++, out->nmessages++) {
        const char *text = tl__json_string(tl__json_get(tl__json_index(msgs, i), "text"));
        append_line(out->messages, sizeof out->messages, text ? text : "");
    }
    tl__json_free(root);
    return 0;
}

/* ---- comparisons ---- */

static void describe(const struct group *g, char *out, size_t len)
{
    snprintf(out, len, "%s x%u %s%s%s%s by %s in %s%s", g->start_routine, g->count,
             g->running ? "running" : "finished", g->detached ? " detached" : "",
             g->c11 ? " c11" : "", g->cancelled ? " cancelled" : "", g->created_by,
             g->created_by_function, g->in_child ? " (child process)" : "");
}

static bool groups_match(const struct group *e, const struct group *g)
{
    return start_routines_match(e, g->start_routine) && e->count == g->count &&
           e->running == g->running && e->detached == g->detached && e->c11 == g->c11 &&
           e->cancelled == g->cancelled && e->in_child == g->in_child &&
           names_match(e->created_by, g->created_by) &&
           names_match(e->created_by_function, g->created_by_function);
}

/* The manifest's std::thread extras: where the user's code shows in our stacks. */
static void check_user_functions(struct outcome *o, const char *what, const struct group *e,
                                 const struct group *g)
{
    if (e->user_created_by_function[0] && g->creation_functions[0] &&
        !list_has(g->creation_functions, e->user_created_by_function))
        fail(o, "%s: %s is not in the creation stack of %s", what, e->user_created_by_function,
             g->start_routine);
    if (e->user_function[0] && g->running && g->current_functions[0] &&
        !list_has(g->current_functions, e->user_function))
        fail(o, "%s: %s is not in the current stack of %s", what, e->user_function,
             g->start_routine);
}

void compare_verdicts(struct outcome *o, const char *what, const struct verdict *expected,
                      const struct verdict *got)
{
    bool used[MAX_GROUPS] = {false};
    char a[1024], b[1024];
    for (size_t i = 0; i < expected->ngroups; i++) {
        const struct group *e = &expected->groups[i];
        size_t j = 0;
        while (j < got->ngroups && (used[j] || !groups_match(e, &got->groups[j])))
            j++;
        if (j < got->ngroups) {
            used[j] = true;
            check_user_functions(o, what, e, &got->groups[j]);
            continue;
        }
        describe(e, a, sizeof a);
        for (j = 0; j < got->ngroups; j++) {
            if (!used[j] && start_routines_match(e, got->groups[j].start_routine))
                break;
        }
        if (j < got->ngroups) {
            used[j] = true;
            describe(&got->groups[j], b, sizeof b);
            fail(o, "%s: expected [%s], got [%s]", what, a, b);
        } else {
            fail(o, "%s: missing [%s]", what, a);
        }
    }
    for (size_t j = 0; j < got->ngroups; j++) {
        if (!used[j]) {
            describe(&got->groups[j], b, sizeof b);
            fail(o, "%s: unexpected [%s]", what, b);
        }
    }
}

/* Threads per creating function (and whether main created them), summed over entries. */
struct by_creator {
    char function[NAME_MAX_LEN];
    bool by_main;
    unsigned count;
};

static size_t add_by_creator(struct by_creator *t, size_t n, const char *fn, bool by_main,
                             unsigned count)
{
    for (size_t i = 0; i < n; i++) {
        if ((names_match(t[i].function, fn) || names_match(fn, t[i].function)) &&
            t[i].by_main == by_main) {
            t[i].count += count;
            return n;
        }
    }
    if (n == MAX_GROUPS)
        return n;
    snprintf(t[n].function, NAME_MAX_LEN, "%s", fn);
    t[n].by_main = by_main;
    t[n].count = count;
    return n + 1;
}

static void compare_by_creator(struct outcome *o, const char *what, const char *left_name,
                               const struct by_creator *l, size_t nl, const char *right_name,
                               const struct by_creator *r, size_t nr)
{
    for (size_t i = 0; i < nl; i++) {
        size_t j = 0;
        while (j < nr && !(strcmp(l[i].function, r[j].function) == 0 &&
                           l[i].by_main == r[j].by_main && l[i].count == r[j].count))
            j++;
        if (j == nr)
            fail(o, "%s: %s has %u thread(s) created in %s by %s, %s does not", what, left_name,
                 l[i].count, l[i].function, l[i].by_main ? "main" : "a thread", right_name);
    }
}

void compare_tsan_with_ours(struct outcome *o, const char *what, const struct tsan_leak *tsan,
                            size_t ntsan, const struct verdict *ours)
{
    struct by_creator t[MAX_GROUPS], u[MAX_GROUPS];
    size_t nt = 0, nu = 0;
    for (size_t i = 0; i < ntsan; i++)
        nt = add_by_creator(t, nt, tsan[i].created_by_function, tsan[i].by_main, tsan[i].count);
    for (size_t i = 0; i < ours->ngroups; i++) {
        const struct group *g = &ours->groups[i];
        nu = add_by_creator(u, nu, g->created_by_function, strcmp(g->created_by, "main") == 0,
                            g->count);
    }
    /* Our names may carry C++ parameters: use TSan's spelling for the ones that match. */
    for (size_t j = 0; j < nu; j++) {
        for (size_t i = 0; i < nt; i++) {
            if (names_match(t[i].function, u[j].function))
                snprintf(u[j].function, NAME_MAX_LEN, "%s", t[i].function);
        }
    }
    compare_by_creator(o, what, "TSan", t, nt, "threadleak", u, nu);
    compare_by_creator(o, what, "threadleak", u, nu, "TSan", t, nt);
}

static unsigned kind_count(const struct tsan_verdict *t, const char *prefix)
{
    unsigned n = 0;
    for (size_t i = 0; i < t->nkinds; i++) {
        if (strncmp(t->kinds[i].kind, prefix, strlen(prefix)) == 0)
            n += t->kinds[i].count;
    }
    return n;
}

static bool has_message(const struct tsan_verdict *t, const char *prefix)
{
    for (const char *p = t->messages; *p;) {
        size_t len = strcspn(p, "\n");
        if (len >= strlen(prefix) && strncmp(p, prefix, strlen(prefix)) == 0)
            return true;
        p += len + (p[len] == '\n');
    }
    return false;
}

void compare_tsan_with_manifest(struct outcome *o, const char *what, const struct tsan_verdict *t,
                                const struct manifest_tsan *m)
{
    unsigned races = kind_count(t, "data race");
    unsigned inversions = kind_count(t, "lock-order-inversion");
    if (races != m->data_races)
        fail(o, "%s: %u data race report(s), the manifest says %u", what, races, m->data_races);
    if (inversions != m->lock_order_inversions)
        fail(o, "%s: %u lock-order-inversion report(s), the manifest says %u", what, inversions,
             m->lock_order_inversions);
    for (size_t i = 0; i < t->nkinds; i++) {
        const char *kind = t->kinds[i].kind;
        if (strncmp(kind, "data race", 9) == 0 || strncmp(kind, "lock-order-inversion", 20) == 0 ||
            strcmp(kind, "thread leak") == 0)
            continue;
        size_t j = 0;
        while (j < m->nother && strcmp(m->other[j].kind, kind) != 0)
            j++;
        unsigned want = j < m->nother ? m->other[j].count : 0;
        if (t->kinds[i].count != want)
            fail(o, "%s: %u '%s' report(s), the manifest says %u", what, t->kinds[i].count, kind,
                 want);
    }
    for (size_t j = 0; j < m->nother; j++) {
        if (kind_count(t, m->other[j].kind) == 0)
            fail(o, "%s: no '%s' report, the manifest says %u", what, m->other[j].kind,
                 m->other[j].count);
    }
    struct by_creator a[MAX_GROUPS], b[MAX_GROUPS];
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < t->nleaks; i++)
        na = add_by_creator(a, na, t->leaks[i].created_by_function, t->leaks[i].by_main,
                            t->leaks[i].count);
    for (size_t i = 0; i < m->nleaks; i++)
        nb = add_by_creator(b, nb, m->leaks[i].created_by_function, m->leaks[i].by_main,
                            m->leaks[i].count);
    if (t->nleaks != m->nleaks)
        fail(o, "%s: %zu thread-leak report(s), the manifest says %zu", what, t->nleaks, m->nleaks);
    compare_by_creator(o, what, "TSan", a, na, "the manifest", b, nb);
    compare_by_creator(o, what, "the manifest", b, nb, "TSan", a, na);
    for (size_t i = 0; i < m->nmessages; i++) {
        if (!has_message(t, m->messages[i]))
            fail(o, "%s: TSan did not print the manifest's message '%s'", what, m->messages[i]);
    }
    if (m->nmessages == 0 && t->nmessages > 0)
        fail(o, "%s: TSan printed '%.*s', the manifest expects no message", what,
             (int)strcspn(t->messages, "\n"), t->messages);
}
