/* Merging per-process reports. Each JSON report is parsed only to be validated and to read pid,
 * exe, summary.leaked and the lengths of the lock module's arrays; the merged document embeds the
 * file's own bytes (re-indented), so that fields this CLI does not know about survive the merge. */
#include "report_merge.h"

#include "toolbox.h"

#include "json_reader.h"
#include "json_writer.h"
#include "leak_groups.h"
#include "report_dir.h"
#include "run_label.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TL_VERSION
#define TL_VERSION "0.0.0"
#endif

#define MERGED_SCHEMA   1
#define MAX_REPORT_SIZE (256u << 20) /* far beyond any real report; stops a runaway file */

struct process_report {
    size_t dir; /* index into merge.dirs */
    pid_t pid;
    bool readable;
    unsigned long leaked;
    unsigned long suppressed_by_default; /* 0 in reports from before default suppressions */
    struct tl__lock_findings locks;      /* processes and target_deadlocked unused */
    char *raw;   /* the JSON file's bytes, outer whitespace trimmed; NULL when unreadable */
    char *exe;   /* from the report; NULL when absent */
    char *label; /* the report's own (the shim's label=); NULL when absent */
    char *text;  /* threadleak.PID.txt, kept for the result; NULL when not read */
};

struct merge {
    const char *const *dirs; /* one run's directory, or several for `threadleak merge` */
    int *dirfds;
    char **labels; /* each directory's --label; NULL when none */
    size_t ndirs;
    pid_t target;
    struct process_report *reports;
    size_t count, cap;
    FILE *warnings;
    const struct tl__merge_extras *extras; /* NULL: none */
    struct tl__leak_groups *leak_groups;   /* the leaks of every readable report, grouped */
};

static void trim(char **text, size_t *len)
{
    while (*len > 0 && strchr(" \t\r\n", (*text)[*len - 1]))
        (*text)[--*len] = '\0';
    size_t lead = strspn(*text, " \t\r\n");
    *text += lead;
    *len -= lead;
}

__attribute__((format(printf, 3, 4))) static void
warn_unusable(struct merge *m, const struct process_report *r, const char *fmt, ...)
{
    pid_t pid = r->pid;
    fprintf(m->warnings, "threadleak: warning: report %s/threadleak.%ld.json ", m->dirs[r->dir],
            (long)pid);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(m->warnings, fmt, ap);
    va_end(ap);
    fprintf(m->warnings, "; process %ld counted as unknown\n", (long)pid);
}

/* Checks the fields the merge relies on; returns NULL when usable, else what is wrong. */
static const char *check_fields(const struct tl__json *root, pid_t pid, unsigned long *leaked)
{
    int64_t json_pid;
    uint64_t n;
    if (tl__json_type(root) != TL_JSON_OBJECT)
        return "is not a JSON object";
    if (!tl__json_get_int64(tl__json_get(root, "pid"), &json_pid))
        return "has no integer \"pid\"";
    if (json_pid != pid)
        return "names another pid than its file name";
    if (tl__json_type(tl__json_get(root, "leaks")) != TL_JSON_ARRAY)
        return "has no \"leaks\" array";
    if (!tl__json_get_uint64(tl__json_get(tl__json_get(root, "summary"), "leaked"), &n))
        return "has no integer \"summary.leaked\"";
    *leaked = (unsigned long)n;
    return NULL;
}

/* The length of the lock module's array key: 0 when absent (the plain shim, older versions).
 * Returns what is wrong when it is present but no array. */
static const char *lock_array(const struct tl__json *root, const char *key, unsigned long *n)
{
    const struct tl__json *v = tl__json_get(root, key);
    if (v && tl__json_type(v) != TL_JSON_ARRAY)
        return "has a lock finding member (deadlocks, lock_order or misuse) that is not an array";
    *n = (unsigned long)tl__json_length(v);
    return NULL;
}

static const char *check_lock_fields(const struct tl__json *root, struct tl__lock_findings *f)
{
    const char *problem = lock_array(root, "deadlocks", &f->deadlocks);
    if (!problem)
        problem = lock_array(root, "lock_order", &f->lock_order);
    if (!problem)
        problem = lock_array(root, "misuse", &f->misuse);
    return problem;
}

static bool has_lock_findings(const struct tl__lock_findings *f)
{
    return f->deadlocks > 0 || f->lock_order > 0 || f->misuse > 0;
}

/* A process's label: its report's own (label=), else its run directory's (--label); NULL. */
static const char *label_of(const struct merge *m, const struct process_report *r)
{
    return r->label ? r->label : m->labels[r->dir];
}

static void load_report(struct merge *m, struct process_report *r)
{
    char name[64], err[160];
    snprintf(name, sizeof name, "threadleak.%ld.json", (long)r->pid);
    size_t len;
    char *buf = tl__read_file_at(m->dirfds[r->dir], name, MAX_REPORT_SIZE, &len);
    if (!buf) {
        warn_unusable(m, r, "cannot be read (%s)", strerror(errno));
        return;
    }
    struct tl__json *root = tl__json_parse(buf, len, err, sizeof err);
    if (!root) {
        warn_unusable(m, r, "is not valid JSON (%s)", err);
        free(buf);
        return;
    }
    const char *problem = check_fields(root, r->pid, &r->leaked);
    if (!problem)
        problem = check_lock_fields(root, &r->locks);
    uint64_t by_default;
    if (!problem &&
        tl__json_get_uint64(tl__json_get(tl__json_get(root, "summary"), "suppressed_by_default"),
                            &by_default))
        r->suppressed_by_default = (unsigned long)by_default;
    if (problem) {
        warn_unusable(m, r, "%s", problem);
        free(buf);
    } else {
        const char *exe = tl__json_string(tl__json_get(root, "exe"));
        r->exe = exe ? strdup(exe) : NULL;
        const char *label = tl__json_string(tl__json_get(root, "label"));
        r->label = label ? strdup(label) : NULL;
        char *text = buf;
        trim(&text, &len);
        memmove(buf, text, len + 1);
        r->raw = buf;
        r->readable = true;
        leak_groups_add_report(m->leak_groups, root, (long)r->pid, label_of(m, r), NULL, NULL);
    }
    tl__json_free(root);
}

static int add_report(struct merge *m, size_t dir, pid_t pid)
{
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct process_report *grown = realloc(m->reports, cap * sizeof *grown);
        if (!grown)
            return -1;
        m->reports = grown;
        m->cap = cap;
    }
    m->reports[m->count++] = (struct process_report){.dir = dir, .pid = pid};
    return 0;
}

static int collect_reports(struct merge *m, size_t dir)
{
    int fd = dup(m->dirfds[dir]);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        pid_t pid;
        if (report_file_pid(e->d_name, "json", &pid))
            rc = add_report(m, dir, pid);
    }
    closedir(d);
    return rc;
}

static pid_t sort_target; /* qsort has no context argument */

/* Directory by directory in the order given; within one, the target first, then by pid. */
static int by_target_then_pid(const void *a, const void *b)
{
    const struct process_report *ra = a, *rb = b;
    if (ra->dir != rb->dir)
        return ra->dir < rb->dir ? -1 : 1;
    pid_t x = ra->pid, y = rb->pid;
    if (x == y)
        return 0;
    if (x == sort_target)
        return -1;
    if (y == sort_target)
        return 1;
    return x < y ? -1 : 1;
}

static const char *plural(unsigned long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "1 deadlock, 2 lock-order inversions, 3 misuses": the categories that have findings. */
static void write_lock_counts(FILE *out, const struct tl__lock_findings *f, const char *sep)
{
    if (f->deadlocks > 0)
        fprintf(out, "%s%lu %s", sep, f->deadlocks, plural(f->deadlocks, "deadlock", "deadlocks"));
    if (f->deadlocks > 0)
        sep = ", ";
    if (f->lock_order > 0)
        fprintf(out, "%s%lu %s", sep, f->lock_order,
                plural(f->lock_order, "lock-order inversion", "lock-order inversions"));
    if (f->lock_order > 0)
        sep = ", ";
    if (f->misuse > 0)
        fprintf(out, "%s%lu %s", sep, f->misuse, plural(f->misuse, "misuse", "misuses"));
}

/* "2 leaked threads", "1 deadlock", "2 leaked threads, 1 deadlock": what a process found. */
static void write_process_counts(FILE *out, const struct process_report *r)
{
    if (r->leaked > 0 || !has_lock_findings(&r->locks))
        fprintf(out, "%lu leaked %s", r->leaked, plural(r->leaked, "thread", "threads"));
    write_lock_counts(out, &r->locks, r->leaked > 0 ? ", " : "");
}

static void write_process_text(struct merge *m, struct process_report *r, FILE *out)
{
    if (m->count > 1) {
        fprintf(out, "==== threadleak: process %ld (%s): ", (long)r->pid, r->exe ? r->exe : "?");
        write_process_counts(out, r);
        fputs(" ====\n", out);
    }
    char name[64];
    snprintf(name, sizeof name, "threadleak.%ld.txt", (long)r->pid);
    size_t len;
    char *text = tl__read_file_at(m->dirfds[r->dir], name, MAX_REPORT_SIZE, &len);
    if (!text) {
        fprintf(m->warnings,
                "threadleak: warning: text report %s/%s is missing (%s); its JSON report lists ",
                m->dirs[r->dir], name, strerror(errno));
        write_process_counts(m->warnings, r);
        fputc('\n', m->warnings);
        return;
    }
    fwrite(text, 1, len, out);
    if (len > 0 && text[len - 1] != '\n')
        fputc('\n', out);
    r->text = text;
}

/* "; N threads suppressed by default", so that a run that hid runtimes' threads says so. */
static void write_default_count(const struct tl__merge_result *res, FILE *out)
{
    if (res->suppressed_by_default > 0)
        fprintf(out, "; %lu %s suppressed by default", res->suppressed_by_default,
                plural(res->suppressed_by_default, "thread", "threads"));
}

/* A clean run is silent, unless default suppressions hid threads: then one line says how many,
 * and how to see them. */
static void write_clean_text(const struct tl__merge_result *res, FILE *out)
{
    if (res->suppressed_by_default == 0)
        return;
    fprintf(out, "threadleak: no leaked threads in %u %s", res->processes,
            plural(res->processes, "process", "processes"));
    write_default_count(res, out);
    fputs(" (runtimes' own threads; THREADLEAK_OPTIONS=default_suppressions=0 reports them)\n",
          out);
}

/* "threadleak: 1 deadlock, 2 lock-order inversions in 2 of 5 processes" */
static void write_lock_summary(const struct tl__merge_result *res, FILE *out)
{
    if (!has_lock_findings(&res->locks))
        return;
    fputs("threadleak: ", out);
    write_lock_counts(out, &res->locks, "");
    fprintf(out, " in %u of %u %s\n", res->locks.processes, res->processes,
            plural(res->processes, "process", "processes"));
}

/* The text of every process that leaked or has lock findings (not only the leaking ones: a
 * deadlocked process may have leaked nothing), then the summary lines. */
static void write_text(struct merge *m, struct tl__merge_result *res, FILE *out)
{
    for (size_t i = 0; i < m->count; i++) {
        struct process_report *r = &m->reports[i];
        if (r->readable && (r->leaked > 0 || has_lock_findings(&r->locks)))
            write_process_text(m, r, out);
    }
    if (res->leaked_threads == 0) {
        write_clean_text(res, out);
        write_lock_summary(res, out);
        return;
    }
    fprintf(out, "threadleak: %lu leaked %s in %u of %u %s", res->leaked_threads,
            plural(res->leaked_threads, "thread", "threads"), res->leaking_processes,
            res->processes, plural(res->processes, "process", "processes"));
    if (res->unreadable)
        fprintf(out, "; %u %s unreadable", res->unreadable,
                plural(res->unreadable, "report", "reports"));
    write_default_count(res, out);
    fputc('\n', out);
    write_lock_summary(res, out);
}

/* The report's bytes with every line indented, so that it nests in the merged document. JSON
 * strings cannot hold a raw newline, so indenting after each one never alters a value. */
static void write_indented(FILE *out, const char *raw, const char *indent)
{
    fputs(indent, out);
    for (const char *p = raw; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fputs(indent, out);
    }
}

/* "key": value, the value's continuation lines indented to nest. */
static void write_member(FILE *out, const struct tl__merge_member *member, const char *indent)
{
    fprintf(out, "%s\"%s\": ", indent, member->key);
    for (const char *p = member->json; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fputs(indent, out);
    }
}

static void write_label_string(struct tl__json_writer *w, const void *label)
{
    tl__jw_string(w, label);
}

/* A report of a labelled run, with "label" as its first member: the report's bytes are kept, so
 * the member goes in after the opening brace. */
static void write_labelled(FILE *out, const char *raw, const char *label)
{
    char *value = tl__jw_to_string(write_label_string, label);
    if (!value || raw[0] != '{') {
        write_indented(out, raw, "    ");
        free(value);
        return;
    }
    fprintf(out, "    {\n      \"label\": %s,%s", value, strchr(" \t\r\n", raw[1]) ? "" : " ");
    for (const char *p = raw + 1; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fputs("    ", out);
    }
    free(value);
}

/* "leak_groups": the same leak across processes, one item per start routine, creation site and
 * state (leak_groups.h). [] when memory ran out while grouping. */
static void write_leak_groups(struct merge *m, FILE *out)
{
    char *groups = leak_groups_json(m->leak_groups);
    const struct tl__merge_member member = {"leak_groups", groups ? groups : "[]"};
    write_member(out, &member, "  ");
    fputs(",\n", out);
    free(groups);
}

static void write_json(struct merge *m, const struct tl__merge_result *res, FILE *out)
{
    fprintf(out, "{\n  \"tool\": \"threadleak\",\n  \"version\": \"%s\",\n  \"schema\": %d,\n",
            TL_VERSION, MERGED_SCHEMA);
    fputs("  \"processes\": [", out);
    const char *sep = "\n";
    for (size_t i = 0; i < m->count; i++) {
        if (!m->reports[i].readable)
            continue;
        fputs(sep, out);
        const char *label = m->reports[i].label ? NULL : m->labels[m->reports[i].dir];
        if (label)
            write_labelled(out, m->reports[i].raw, label);
        else
            write_indented(out, m->reports[i].raw, "    ");
        sep = ",\n";
    }
    fputs(*sep == ',' ? "\n  ],\n" : "],\n", out);
    fputs("  \"unreadable\": [", out);
    sep = "";
    for (size_t i = 0; i < m->count; i++) {
        if (m->reports[i].readable)
            continue;
        /* With several directories a file name alone would not say which run it came from. */
        if (m->ndirs > 1)
            fprintf(out, "%s\"%s/threadleak.%ld.json\"", sep, m->dirs[m->reports[i].dir],
                    (long)m->reports[i].pid);
        else
            fprintf(out, "%s\"threadleak.%ld.json\"", sep, (long)m->reports[i].pid);
        sep = ", ";
    }
    fputs("],\n", out);
    write_leak_groups(m, out);
    const struct tl__merge_extras *x = m->extras;
    for (size_t i = 0; x && i < x->ntop; i++) {
        write_member(out, &x->top[i], "  ");
        fputs(",\n", out);
    }
    fprintf(out,
            "  \"summary\": {\n    \"processes\": %u,\n    \"leaking_processes\": %u,\n"
            "    \"leaked_threads\": %lu,\n    \"suppressed_by_default\": %lu,\n"
            "    \"deadlocks\": %lu,\n    \"lock_order\": %lu,\n    \"misuse\": %lu,\n"
            "    \"lock_processes\": %u",
            res->processes, res->leaking_processes, res->leaked_threads, res->suppressed_by_default,
            res->locks.deadlocks, res->locks.lock_order, res->locks.misuse, res->locks.processes);
    for (size_t i = 0; x && i < x->nsummary; i++) {
        fputs(",\n", out);
        write_member(out, &x->summary[i], "    ");
    }
    fputs("\n  }\n}\n", out);
}

static void count_locks(const struct merge *m, const struct process_report *r,
                        struct tl__lock_findings *total)
{
    total->deadlocks += r->locks.deadlocks;
    total->lock_order += r->locks.lock_order;
    total->misuse += r->locks.misuse;
    total->processes += has_lock_findings(&r->locks);
    /* The target's own report, in its own run's directory (`merge` names no target: pid 0). */
    if (r->locks.deadlocks > 0 && r->pid == m->target && m->target > 0)
        total->target_deadlocked = true;
}

static void count_totals(const struct merge *m, struct tl__merge_result *res)
{
    res->processes = (unsigned)m->count;
    for (size_t i = 0; i < m->count; i++) {
        const struct process_report *r = &m->reports[i];
        if (r->readable)
            count_locks(m, r, &res->locks);
        if (r->readable)
            res->suppressed_by_default += r->suppressed_by_default;
        if (!r->readable) {
            res->unreadable++;
        } else if (r->leaked > 0) {
            res->leaking_processes++;
            res->leaked_threads += r->leaked;
        }
    }
}

static void free_reports(struct merge *m)
{
    for (size_t i = 0; i < m->count; i++) {
        free(m->reports[i].raw);
        free(m->reports[i].exe);
        free(m->reports[i].label);
        free(m->reports[i].text);
    }
    free(m->reports);
}

/* The readable reports for the result, in JSON order; their texts move into it. */
static int keep_processes(struct merge *m, struct tl__merge_result *res)
{
    res->process = calloc(m->count ? m->count : 1, sizeof *res->process);
    if (!res->process)
        return -1;
    for (size_t i = 0; i < m->count; i++) {
        struct process_report *r = &m->reports[i];
        if (!r->readable)
            continue;
        const char *label = label_of(m, r);
        res->process[res->nprocess++] = (struct tl__merge_process){
            .dir = r->dir, .pid = r->pid, .text = r->text, .label = label ? strdup(label) : NULL};
        r->text = NULL;
    }
    return 0;
}

/* Builds the three outputs into memory streams. */
static int produce(struct merge *m, struct tl__merge_result *res)
{
    size_t text_len, json_len, warn_len;
    FILE *text = open_memstream(&res->text, &text_len);
    FILE *json = open_memstream(&res->json, &json_len);
    m->warnings = open_memstream(&res->warnings, &warn_len);
    int rc = text && json && m->warnings ? 0 : -1;
    if (rc == 0) {
        for (size_t i = 0; i < m->count; i++)
            load_report(m, &m->reports[i]);
        count_totals(m, res);
        write_text(m, res, text);
        write_json(m, res, json);
        rc = keep_processes(m, res);
    }
    /* fclose fails when the stream could not grow its buffer. */
    if (text && fclose(text) != 0)
        rc = -1;
    if (json && fclose(json) != 0)
        rc = -1;
    if (m->warnings && fclose(m->warnings) != 0)
        rc = -1;
    return rc;
}

int report_merge_dir(const char *dir, pid_t target_pid, struct tl__merge_result *out)
{
    return report_merge_dir_extras(dir, target_pid, NULL, out);
}

int report_merge_dir_extras(const char *dir, pid_t target_pid,
                            const struct tl__merge_extras *extras, struct tl__merge_result *out)
{
    return report_merge_dirs(&dir, 1, target_pid, extras, out);
}

int report_merge_dirs(const char *const *dirs, size_t ndirs, pid_t target_pid,
                      const struct tl__merge_extras *extras, struct tl__merge_result *out)
{
    memset(out, 0, sizeof *out);
    struct merge m = {.dirs = dirs, .ndirs = ndirs, .target = target_pid, .extras = extras};
    m.dirfds = malloc((ndirs ? ndirs : 1) * sizeof *m.dirfds);
    m.labels = calloc(ndirs ? ndirs : 1, sizeof *m.labels);
    m.leak_groups = leak_groups_new();
    if (!m.dirfds || !m.labels || !m.leak_groups) {
        free(m.dirfds);
        free(m.labels);
        leak_groups_free(m.leak_groups);
        return -1;
    }
    size_t opened = 0;
    int rc = 0;
    for (; rc == 0 && opened < ndirs; opened++) {
        m.dirfds[opened] = open(dirs[opened], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m.dirfds[opened] < 0)
            rc = -1;
        else
            rc = collect_reports(&m, opened);
        if (rc == 0)
            m.labels[opened] = run_label_read_at(m.dirfds[opened]);
    }
    if (rc == 0) {
        sort_target = target_pid;
        if (m.count > 1)
            qsort(m.reports, m.count, sizeof *m.reports, by_target_then_pid);
        rc = produce(&m, out);
    }
    int saved = rc ? (errno ? errno : ENOMEM) : 0;
    free_reports(&m);
    for (size_t i = 0; i < opened; i++) {
        if (m.dirfds[i] >= 0)
            close(m.dirfds[i]);
        free(m.labels[i]);
    }
    free(m.dirfds);
    free(m.labels);
    leak_groups_free(m.leak_groups);
    if (rc != 0) {
        report_merge_free(out);
        errno = saved;
    }
    return rc;
}

void report_merge_free(struct tl__merge_result *r)
{
    for (size_t i = 0; i < r->nprocess; i++) {
        free(r->process[i].text);
        free(r->process[i].label);
    }
    free(r->process);
    free(r->text);
    free(r->json);
    free(r->warnings);
    memset(r, 0, sizeof *r);
}

int report_merge_write_json(const char *path, const char *json)
{
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "we");
    if (!f) {
        fprintf(stderr, "threadleak: --json %s: %s\n", path, strerror(errno));
        return -1;
    }
    bool ok = fputs(json, f) >= 0;
    ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok)
        fprintf(stderr, "threadleak: --json %s: write failed\n", path);
    return ok ? 0 : -1;
}
