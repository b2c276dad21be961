/* See baseline_gate.h. The merged document is read once (baseline_findings.c), each finding is
 * matched to a baseline entry by its key, and the document is written again through the JSON
 * writer, member by member, leaving the known findings out of their arrays and the counts of the
 * summaries without them. The text keeps the reports of the processes with a new finding, whole,
 * and says in one line per kind what was known, new, or fixed. */
#include "baseline_gate.h"

#include "json_reader.h"
#include "leak_groups.h"
#include "json_writer.h"
#include "run_options.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct judged {
    struct tl__bl_findings f;
    struct tl__baseline *b;
    const char *file;              /* the baseline named in messages */
    const char *written;           /* --write-baseline FILE, once written; else NULL */
    size_t nwritten;               /* its entries */
    const struct tl__json **known; /* nodes of the known findings, sorted by address */
    size_t nknown;
    unsigned long *proc_known_leaked; /* per process of the document */
    bool *proc_new;                   /* the process has a new leak or lock finding */
    bool *proc_new_locks;             /* ... a new lock finding */
    size_t nproc;
    unsigned long known_threads, known_other, known_tsan, known_asan;
    unsigned long known_deadlocks, known_lock_order, known_misuse;
    bool target_new_deadlock;
};

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const struct tl__json *const *)a;
    uintptr_t y = (uintptr_t) * (const struct tl__json *const *)b;
    return (x > y) - (x < y);
}

static bool is_known(const struct judged *j, const struct tl__json *v)
{
    return j->nknown && bsearch(&v, j->known, j->nknown, sizeof *j->known, by_address);
}

static void count_known(struct judged *j, const struct tl__bl_finding *f)
{
    switch (f->where) {
    case TL_BL_LEAK:
        j->known_threads += f->count;
        j->proc_known_leaked[f->process] += f->count;
        return;
    case TL_BL_DEADLOCK:
        j->known_deadlocks++;
        break;
    case TL_BL_LOCK_ORDER:
        j->known_lock_order++;
        break;
    case TL_BL_MISUSE:
        j->known_misuse++;
        break;
    case TL_BL_TSAN:
        j->known_tsan++;
        break;
    case TL_BL_ASAN:
        j->known_asan++;
        break;
    }
    j->known_other++;
}

static void mark_new(struct judged *j, const struct tl__bl_finding *f, pid_t target)
{
    if (f->process == SIZE_MAX)
        return;
    j->proc_new[f->process] = true;
    if (f->where != TL_BL_LEAK)
        j->proc_new_locks[f->process] = true;
    if (f->where == TL_BL_DEADLOCK && target > 0 && f->pid == (long)target)
        j->target_new_deadlock = true;
}

/* Matches every finding to its entry, and counts what is known and where the new ones are. */
static int judge(struct judged *j, pid_t target)
{
    j->nproc = tl__json_length(tl__json_get(j->f.root, "processes"));
    j->known = calloc(j->f.nfinding + 1, sizeof *j->known);
    j->proc_known_leaked = calloc(j->nproc + 1, sizeof *j->proc_known_leaked);
    j->proc_new = calloc(j->nproc + 1, sizeof *j->proc_new);
    j->proc_new_locks = calloc(j->nproc + 1, sizeof *j->proc_new_locks);
    if (!j->known || !j->proc_known_leaked || !j->proc_new || !j->proc_new_locks)
        return -1;
    for (size_t i = 0; i < j->b->nentry; i++)
        j->b->entry[i].seen = 0;
    for (size_t i = 0; i < j->f.nfinding; i++) {
        struct tl__bl_finding *f = &j->f.finding[i];
        f->entry = baseline_find(j->b, &f->key);
        if (f->entry == SIZE_MAX) {
            mark_new(j, f, target);
            continue;
        }
        j->b->entry[f->entry].seen += f->count;
        j->known[j->nknown++] = f->node;
        count_known(j, f);
    }
    qsort(j->known, j->nknown, sizeof *j->known, by_address);
    return 0;
}

/* --- the JSON document again, without the known findings --- */

struct override {
    const char *key;
    uint64_t value;
};

static void copy_value(struct tl__json_writer *w, const struct judged *j, const struct tl__json *v);

static void copy_number(struct tl__json_writer *w, const struct tl__json *v)
{
    int64_t i;
    uint64_t u;
    if (tl__json_get_int64(v, &i))
        tl__jw_int(w, i);
    else if (tl__json_get_uint64(v, &u))
        tl__jw_uint64(w, u);
    else /* the reports write integers only (json-schema.md, "Encoding") */
        tl__jw_int(w, (int64_t)tl__json_number(v));
}

/* An object's members, those named in ov with ov's value. */
static void copy_members(struct tl__json_writer *w, const struct judged *j,
                         const struct tl__json *v, const struct override *ov, size_t nov)
{
    tl__jw_begin_object(w);
    const char *key;
    for (size_t i = 0; i < tl__json_length(v); i++) {
        const struct tl__json *member = tl__json_member(v, i, &key);
        tl__jw_key(w, key);
        size_t o = 0;
        while (o < nov && strcmp(ov[o].key, key) != 0)
            o++;
        if (o < nov)
            tl__jw_uint64(w, ov[o].value);
        else
            copy_value(w, j, member);
    }
    tl__jw_end_object(w);
}

static void copy_value(struct tl__json_writer *w, const struct judged *j, const struct tl__json *v)
{
    switch (tl__json_type(v)) {
    case TL_JSON_NONE:
    case TL_JSON_NULL:
        tl__jw_null(w);
        break;
    case TL_JSON_BOOL:
        tl__jw_bool(w, tl__json_bool(v));
        break;
    case TL_JSON_NUMBER:
        copy_number(w, v);
        break;
    case TL_JSON_STRING:
        tl__jw_string_len(w, tl__json_string(v), tl__json_string_len(v));
        break;
    case TL_JSON_ARRAY:
        tl__jw_begin_array(w);
        for (size_t i = 0; i < tl__json_length(v); i++)
            if (!is_known(j, tl__json_index(v, i)))
                copy_value(w, j, tl__json_index(v, i));
        tl__jw_end_array(w);
        break;
    case TL_JSON_OBJECT:
        copy_members(w, j, v, NULL, 0);
        break;
    }
}

static uint64_t minus(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t json_uint(const struct tl__json *v)
{
    uint64_t n = 0;
    return tl__json_get_uint64(v, &n) ? n : 0;
}

static void copy_process(struct tl__json_writer *w, const struct judged *j,
                         const struct tl__json *p, size_t index)
{
    tl__jw_begin_object(w);
    const char *key;
    for (size_t i = 0; i < tl__json_length(p); i++) {
        const struct tl__json *member = tl__json_member(p, i, &key);
        tl__jw_key(w, key);
        if (strcmp(key, "summary") != 0) {
            copy_value(w, j, member);
            continue;
        }
        struct override leaked = {"leaked", minus(json_uint(tl__json_get(member, "leaked")),
                                                  j->proc_known_leaked[index])};
        copy_members(w, j, member, &leaked, 1);
    }
    tl__jw_end_object(w);
}

static void write_key(struct tl__json_writer *w, const struct tl__bl_key *k)
{
    tl__jw_member_string(w, "kind", k->kind);
    if (k->detail)
        tl__jw_member_string(w, "detail", k->detail);
    tl__jw_member_string(w, "start_routine", k->start_routine);
    tl__jw_member_string(w, "function", k->function);
    tl__jw_member_string(w, "file", k->file);
}

static void write_found(struct tl__json_writer *w, const struct judged *j, size_t entry)
{
    tl__jw_key(w, "found");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < j->f.nfinding; i++) {
        const struct tl__bl_finding *f = &j->f.finding[i];
        if (f->entry != entry)
            continue;
        tl__jw_begin_object(w);
        tl__jw_member_int(w, "pid", f->pid);
        tl__jw_key(w, "finding");
        copy_value(w, j, f->node);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

/* "baseline", "baselined" (the known findings, by entry, with what they were) and
 * "baseline_fixed" (the entries nothing matched). */
static void write_baseline_members(struct tl__json_writer *w, const struct judged *j)
{
    tl__jw_member_string(w, "baseline", j->file);
    for (int fixed = 0; fixed < 2; fixed++) {
        tl__jw_key(w, fixed ? "baseline_fixed" : "baselined");
        tl__jw_begin_array(w);
        for (size_t i = 0; i < j->b->nentry; i++) {
            const struct tl__baseline_entry *e = &j->b->entry[i];
            if ((e->seen == 0) != fixed)
                continue;
            tl__jw_begin_object(w);
            write_key(w, &e->key);
            tl__jw_member_uint64(w, "count", fixed ? e->count : e->seen);
            if (!fixed)
                tl__jw_member_uint64(w, "baseline_count", e->count);
            tl__jw_member_string(w, "note", e->note);
            if (!fixed)
                write_found(w, j, i);
            tl__jw_end_object(w);
        }
        tl__jw_end_array(w);
    }
}

static unsigned count_true(const bool *v, size_t n)
{
    unsigned c = 0;
    for (size_t i = 0; i < n; i++)
        c += v[i];
    return c;
}

static size_t count_fixed(const struct tl__baseline *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nentry; i++)
        n += b->entry[i].seen == 0;
    return n;
}

/* The merged summary with the known findings taken out of its counts, and what was known. */
static void write_summary(struct tl__json_writer *w, const struct judged *j,
                          const struct tl__json *s, const struct tl__merge_result *m)
{
    const struct override ov[] = {
        {"leaked_threads", m->leaked_threads},
        {"leaking_processes", m->leaking_processes},
        {"deadlocks", m->locks.deadlocks},
        {"lock_order", m->locks.lock_order},
        {"misuse", m->locks.misuse},
        {"lock_processes", m->locks.processes},
        {"tsan_findings", minus(json_uint(tl__json_get(s, "tsan_findings")), j->known_tsan)},
        {"asan_findings", minus(json_uint(tl__json_get(s, "asan_findings")), j->known_asan)},
    };
    /* Written by hand rather than through copy_members, to append members at its end. */
    tl__jw_begin_object(w);
    const char *key;
    for (size_t i = 0; i < tl__json_length(s); i++) {
        const struct tl__json *member = tl__json_member(s, i, &key);
        tl__jw_key(w, key);
        size_t o = 0;
        while (o < sizeof ov / sizeof *ov && strcmp(ov[o].key, key) != 0)
            o++;
        if (o < sizeof ov / sizeof *ov)
            tl__jw_uint64(w, ov[o].value);
        else
            copy_value(w, j, member);
    }
    tl__jw_member_uint64(w, "baselined", j->nknown);
    tl__jw_member_uint64(w, "baselined_threads", j->known_threads);
    tl__jw_member_uint64(w, "baseline_fixed", count_fixed(j->b));
    tl__jw_end_object(w);
}

static bool is_new(const void *ctx, const struct tl__json *leak)
{
    return !is_known(ctx, leak);
}

/* leak_groups again, over the leaks that stay: a known leak is in baselined, not in a group. */
static void write_leak_groups(struct tl__json_writer *w, const struct judged *j,
                              const struct tl__json *copied)
{
    const struct tl__json *procs = tl__json_get(j->f.root, "processes");
    struct tl__leak_groups *g = leak_groups_new();
    char *text = NULL;
    for (size_t p = 0; g && p < tl__json_length(procs); p++) {
        const struct tl__json *proc = tl__json_index(procs, p);
        int64_t pid = 0;
        tl__json_get_int64(tl__json_get(proc, "pid"), &pid);
        if (leak_groups_add_report(g, proc, (long)pid, tl__json_string(tl__json_get(proc, "label")),
                                   is_new, j) != 0)
            break;
    }
    text = g ? leak_groups_json(g) : NULL;
    leak_groups_free(g);
    struct tl__json *groups = text ? tl__json_parse(text, strlen(text), NULL, 0) : NULL;
    /* Out of memory: the groups as merged, known leaks and all, rather than none. */
    copy_value(w, j, groups ? groups : copied);
    tl__json_free(groups);
    free(text);
}

static int write_json(const struct judged *j, const struct tl__merge_result *m, char **out)
{
    size_t len;
    FILE *f = open_memstream(out, &len);
    if (!f)
        return -1;
    struct tl__json_writer w;
    tl__jw_init(&w, f);
    tl__jw_begin_object(&w);
    const char *key;
    bool placed = false;
    for (size_t i = 0; i < tl__json_length(j->f.root); i++) {
        const struct tl__json *member = tl__json_member(j->f.root, i, &key);
        if (strcmp(key, "summary") == 0 && !placed) {
            write_baseline_members(&w, j);
            placed = true;
        }
        tl__jw_key(&w, key);
        if (strcmp(key, "processes") == 0) {
            tl__jw_begin_array(&w);
            for (size_t p = 0; p < tl__json_length(member); p++)
                copy_process(&w, j, tl__json_index(member, p), p);
            tl__jw_end_array(&w);
        } else if (strcmp(key, "summary") == 0) {
            write_summary(&w, j, member, m);
        } else if (strcmp(key, "leak_groups") == 0) {
            write_leak_groups(&w, j, member);
        } else {
            copy_value(&w, j, member);
        }
    }
    if (!placed)
        write_baseline_members(&w, j);
    tl__jw_end_object(&w);
    int rc = tl__jw_finish(&w);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* --- the text --- */

static const char *plural(unsigned long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Each process with a new finding, its report whole: the known findings in it are named below. */
static void write_processes(FILE *out, const struct judged *j, const struct tl__merge_result *m)
{
    const struct tl__json *procs = tl__json_get(j->f.root, "processes");
    for (size_t i = 0; i < j->nproc; i++) {
        if (!j->proc_new[i] || i >= m->nprocess || !m->process[i].text)
            continue;
        const struct tl__json *p = tl__json_index(procs, i);
        const char *exe = tl__json_string(tl__json_get(p, "exe"));
        if (m->processes > 1)
            fprintf(out, "==== threadleak: process %ld (%s) ====\n",
                    (long)tl__json_int(tl__json_get(p, "pid")), exe ? exe : "?");
        const char *text = m->process[i].text;
        size_t len = strlen(text);
        fputs(text, out);
        if (len > 0 && text[len - 1] != '\n')
            fputc('\n', out);
    }
}

/* A new finding of process i's key in the same process came earlier: two groups of one key (a
 * loop unrolled by the compiler) are one line. */
static bool said_before(const struct judged *j, size_t i)
{
    const struct tl__bl_finding *f = &j->f.finding[i];
    for (size_t k = 0; k < i; k++)
        if (j->f.finding[k].entry == SIZE_MAX && j->f.finding[k].pid == f->pid &&
            bl_key_equal(&j->f.finding[k].key, &f->key))
            return true;
    return false;
}

static void write_new(FILE *out, const struct judged *j, const struct tl__merge_result *m)
{
    /* The summary line of report_merge.c, over the new leaks. */
    if (m->leaked_threads > 0) {
        fprintf(out, "threadleak: %lu leaked %s in %u of %u %s", m->leaked_threads,
                plural(m->leaked_threads, "thread", "threads"), m->leaking_processes, m->processes,
                plural(m->processes, "process", "processes"));
        if (m->unreadable)
            fprintf(out, "; %u %s unreadable", m->unreadable,
                    plural(m->unreadable, "report", "reports"));
        if (m->suppressed_by_default)
            fprintf(out, "; %lu %s suppressed by default", m->suppressed_by_default,
                    plural(m->suppressed_by_default, "thread", "threads"));
        fputc('\n', out);
    }
    unsigned long locks = m->locks.deadlocks + m->locks.lock_order + m->locks.misuse;
    if (locks > 0)
        fprintf(out, "threadleak: %lu new lock %s in %u of %u %s\n", locks,
                plural(locks, "finding", "findings"), m->locks.processes, m->processes,
                plural(m->processes, "process", "processes"));
    for (size_t i = 0; i < j->f.nfinding; i++) {
        const struct tl__bl_finding *f = &j->f.finding[i];
        char *what = f->entry == SIZE_MAX && !said_before(j, i) ? baseline_describe(&f->key) : NULL;
        if (what)
            fprintf(out, "threadleak: new, not in baseline %s: %s (pid %ld)\n", j->file, what,
                    f->pid);
        free(what);
    }
}

static void write_known(FILE *out, const struct judged *j)
{
    if (j->known_threads > 0 && j->known_other > 0)
        fprintf(out,
                "threadleak: %lu known %s and %lu other known %s in baseline %s, not failing\n",
                j->known_threads, plural(j->known_threads, "leak", "leaks"), j->known_other,
                plural(j->known_other, "finding", "findings"), j->file);
    else if (j->known_threads > 0)
        fprintf(out, "threadleak: %lu known %s in baseline %s, not failing\n", j->known_threads,
                plural(j->known_threads, "leak", "leaks"), j->file);
    else if (j->known_other > 0)
        fprintf(out, "threadleak: %lu known %s in baseline %s, not failing\n", j->known_other,
                plural(j->known_other, "finding", "findings"), j->file);
    for (size_t i = 0; i < j->b->nentry; i++) {
        const struct tl__baseline_entry *e = &j->b->entry[i];
        char *what = baseline_describe(&e->key);
        if (what && e->seen == 0)
            fprintf(out,
                    "threadleak: fixed: %s (count %lu in baseline %s) no longer occurs; remove "
                    "it from the file (or rewrite the file with --write-baseline)\n",
                    what, e->count, j->file);
        else if (what && e->seen > e->count)
            fprintf(out, "threadleak: known, grown: %s: %lu now, %lu in baseline %s\n", what,
                    e->seen, e->count, j->file);
        free(what);
    }
}

static int write_text(const struct judged *j, const struct tl__merge_result *m, char **out)
{
    size_t len;
    FILE *f = open_memstream(out, &len);
    if (!f)
        return -1;
    write_processes(f, j, m);
    write_new(f, j, m);
    write_known(f, j);
    if (j->written)
        fprintf(f, "threadleak: wrote baseline %s: %zu %s\n", j->written, j->nwritten,
                plural(j->nwritten, "entry", "entries"));
    return fclose(f) == 0 ? 0 : -1;
}

/* --- the gate --- */

/* m's counts without the known findings: what the exit status is decided from. */
static void update_counts(const struct judged *j, struct tl__merge_result *m)
{
    const struct tl__json *procs = tl__json_get(j->f.root, "processes");
    m->leaked_threads = minus(m->leaked_threads, j->known_threads);
    m->leaking_processes = 0;
    for (size_t i = 0; i < j->nproc; i++) {
        uint64_t leaked =
            json_uint(tl__json_get(tl__json_get(tl__json_index(procs, i), "summary"), "leaked"));
        m->leaking_processes += minus(leaked, j->proc_known_leaked[i]) > 0;
    }
    m->locks.deadlocks = minus(m->locks.deadlocks, j->known_deadlocks);
    m->locks.lock_order = minus(m->locks.lock_order, j->known_lock_order);
    m->locks.misuse = minus(m->locks.misuse, j->known_misuse);
    m->locks.processes = count_true(j->proc_new_locks, j->nproc);
    m->locks.target_deadlocked = m->locks.target_deadlocked && j->target_new_deadlock;
}

int baseline_gate_open(struct tl__baseline_gate *g, const char *path, const char *write_path,
                       const char *source_root)
{
    *g = (struct tl__baseline_gate){path, write_path, source_root, {0}};
    char err[PATH_MAX + 512];
    if (path && baseline_load(path, &g->known, err, sizeof err) != 0) {
        fprintf(stderr, "threadleak: --baseline: %s\n", err);
        return TL_STATUS_USAGE;
    }
    return 0;
}

static void free_judged(struct judged *j)
{
    bl_findings_free(&j->f);
    free(j->known);
    free(j->proc_known_leaked);
    free(j->proc_new);
    free(j->proc_new_locks);
}

/* Writes --write-baseline; without --baseline, what it wrote becomes the baseline judged against.
 */
static int record(struct tl__baseline_gate *g, struct judged *j)
{
    const struct tl__bl_findings *f = &j->f;
    struct tl__baseline now;
    char err[PATH_MAX + 512];
    if (baseline_from_findings(f, &now) != 0) {
        fputs("threadleak: --write-baseline: out of memory\n", stderr);
        return -1;
    }
    if (baseline_write(g->write_path, &now, err, sizeof err) != 0) {
        fprintf(stderr, "threadleak: %s\n", err);
        baseline_free(&now);
        return -1;
    }
    j->written = g->write_path;
    j->nwritten = now.nentry;
    if (g->path) {
        baseline_free(&now);
        return 0;
    }
    g->known = now;
    return 0;
}

int baseline_gate_apply(struct tl__baseline_gate *g, pid_t target, struct tl__merge_result *m,
                        struct tl__baseline_known *known)
{
    *known = (struct tl__baseline_known){0};
    if (!g->path && !g->write_path)
        return 0;
    struct judged j = {.b = &g->known, .file = g->path ? g->path : g->write_path};
    char err[PATH_MAX + 512];
    if (bl_findings_read(m->json, g->source_root, &j.f, err, sizeof err) != 0) {
        fprintf(stderr, "threadleak: --baseline: %s\n", err);
        return -1;
    }
    char *json = NULL, *text = NULL;
    int rc = g->write_path ? record(g, &j) : 0;
    if (rc == 0 && judge(&j, target) != 0) {
        fputs("threadleak: --baseline: out of memory\n", stderr);
        rc = -1;
    }
    if (rc == 0) {
        update_counts(&j, m);
        if (write_json(&j, m, &json) != 0 || write_text(&j, m, &text) != 0) {
            fputs("threadleak: --baseline: out of memory\n", stderr);
            rc = -1;
        }
    }
    if (rc == 0) {
        free(m->json);
        free(m->text);
        m->json = json;
        m->text = text;
        json = text = NULL;
        known->tsan = j.known_tsan;
        known->asan = j.known_asan;
    }
    free(json);
    free(text);
    free_judged(&j);
    return rc;
}

void baseline_gate_close(struct tl__baseline_gate *g)
{
    baseline_free(&g->known);
}
