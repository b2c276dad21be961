/* Collecting TSan's logs from the report directory. Each log is parsed on its own (a log cut
 * short by a killed process must not swallow the next one's lines) and its findings and messages
 * are moved into one set, in the order of report_merge: the target's first, then by pid. */
#include "tsan_gate.h"

#include "toolbox.h"

#include "json_writer.h"
#include "san_logs.h"
#include "tsan_env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LOG_SIZE (64u << 20) /* TSan deduplicates reports; a real log is far smaller */

bool tsan_log_pid(const char *name, pid_t *pid)
{
    return san_log_pid(name, TL_TSAN_LOG_NAME, pid);
}

/* Moves src's findings and messages to the end of dst and leaves src empty. */
static int move_set(struct tl__tsan_report_set *dst, struct tl__tsan_report_set *src, pid_t pid)
{
    struct tl__tsan_finding *f =
        realloc(dst->findings, (dst->nfindings + src->nfindings + 1) * sizeof *f);
    if (f)
        dst->findings = f;
    struct tl__tsan_message *m =
        f ? realloc(dst->messages, (dst->nmessages + src->nmessages + 1) * sizeof *m) : NULL;
    if (m)
        dst->messages = m;
    if (!f || !m)
        return -1;
    for (size_t i = 0; i < src->nfindings; i++) {
        if (src->findings[i].pid < 0)
            src->findings[i].pid = pid;
        dst->findings[dst->nfindings++] = src->findings[i];
    }
    memcpy(dst->messages + dst->nmessages, src->messages, src->nmessages * sizeof *m);
    dst->nmessages += src->nmessages;
    dst->reported_warnings += src->reported_warnings;
    dst->reported_lines += src->reported_lines;
    free(src->findings);
    free(src->messages);
    memset(src, 0, sizeof *src);
    return 0;
}

static int add_log(int dirfd, const char *dir, const struct tl__san_log *log, pid_t target,
                   struct tl__tsan_gate *g, FILE *warnings)
{
    size_t len;
    char *text = tl__read_file_at(dirfd, log->name, MAX_LOG_SIZE, &len);
    if (!text) {
        fprintf(warnings, "threadleak: warning: ThreadSanitizer log %s/%s cannot be read (%s)\n",
                dir, log->name, strerror(errno));
        return 0;
    }
    struct tl__tsan_report_set one;
    int n = tsan_report_parse(text, len, &one);
    free(text);
    if (n < 0 || move_set(&g->set, &one, log->pid) != 0) {
        tsan_report_set_free(&one);
        errno = ENOMEM;
        return -1;
    }
    g->logs++;
    if (n > 0 && log->pid == target)
        g->target_reported = true;
    return 0;
}

/* ---- JSON ---- */

/* The findings or the messages of the set, as one JSON value (see tl__jw_to_string). */
static void write_findings(struct tl__json_writer *w, const void *set)
{
    tsan_report_write_findings(w, set);
}

static void write_messages(struct tl__json_writer *w, const void *set)
{
    tsan_report_write_messages(w, set);
}

/* ---- text ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "#1 main /src/race.c:35 (race)": TSan's own frame layout, with the module's base name. */
static void write_frame(FILE *out, const struct tl__tsan_frame *f)
{
    fprintf(out, "    #%u %s", f->index, f->function ? f->function : "<null>");
    if (f->file && f->line)
        fprintf(out, " %s:%u", f->file, f->line);
    else if (f->file)
        fprintf(out, " %s", f->file);
    if (f->module)
        fprintf(out, " (%s)", base_name(f->module));
    fputc('\n', out);
}

static void write_stack(FILE *out, const struct tl__tsan_stack *s)
{
    fprintf(out, "  %s:\n", s->title[0] ? s->title : "stack");
    size_t shown = s->nframes < TL_TSAN_FRAMES_SHOWN ? s->nframes : TL_TSAN_FRAMES_SHOWN;
    for (size_t i = 0; i < shown; i++)
        write_frame(out, &s->frames[i]);
    if (s->nframes > shown)
        fprintf(out, "    ... %zu more %s\n", s->nframes - shown,
                s->nframes - shown == 1 ? "frame" : "frames");
}

static void write_finding(FILE *out, const struct tl__tsan_finding *f)
{
    fprintf(out, "==== ThreadSanitizer: %s (pid %ld)", f->kind, f->pid);
    if (f->count > 1)
        fprintf(out, ": %u similar", f->count);
    fputs(" ====\n", out);
    for (size_t i = 0; i < f->nstacks; i++)
        write_stack(out, &f->stacks[i]);
    fprintf(out, "%s\n", f->summary ? f->summary : "(the report was cut short)");
}

static size_t count_processes(const struct tl__tsan_report_set *set)
{
    size_t n = 0;
    for (size_t i = 0; i < set->nfindings; i++) {
        size_t j = 0;
        while (j < i && set->findings[j].pid != set->findings[i].pid)
            j++;
        n += j == i;
    }
    return n;
}

/* "1 data race, 2 thread leak": reports per kind, in the order first seen. */
static void write_kinds(FILE *out, const struct tl__tsan_report_set *set)
{
    const char *sep = "";
    for (size_t i = 0; i < set->nfindings; i++) {
        const char *kind = set->findings[i].kind;
        size_t j = 0, n = 0;
        while (j < i && strcmp(set->findings[j].kind, kind) != 0)
            j++;
        if (j < i)
            continue; /* counted at its first occurrence */
        for (j = i; j < set->nfindings; j++)
            n += strcmp(set->findings[j].kind, kind) == 0;
        fprintf(out, "%s%zu %s", sep, n, kind);
        sep = ", ";
    }
}

static void write_text(FILE *out, const struct tl__tsan_report_set *set)
{
    for (size_t i = 0; i < set->nfindings; i++)
        write_finding(out, &set->findings[i]);
    for (size_t i = 0; i < set->nmessages; i++)
        fprintf(out, "==%ld==%s\n", set->messages[i].pid, set->messages[i].text);
    if (set->nfindings == 0)
        return;
    size_t procs = count_processes(set);
    fprintf(out, "threadleak: %zu ThreadSanitizer %s in %zu %s (", set->nfindings,
            set->nfindings == 1 ? "finding" : "findings", procs,
            procs == 1 ? "process" : "processes");
    write_kinds(out, set);
    fputs(")\n", out);
}

static int render(struct tl__tsan_gate *g)
{
    size_t len;
    FILE *out = open_memstream(&g->text, &len);
    if (!out)
        return -1;
    write_text(out, &g->set);
    if (fclose(out) != 0)
        return -1;
    g->findings_json = tl__jw_to_string(write_findings, &g->set);
    g->messages_json = tl__jw_to_string(write_messages, &g->set);
    return g->findings_json && g->messages_json ? 0 : -1;
}

/* add_log as san_logs_read calls it. */
struct log_reader {
    struct tl__tsan_gate *gate;
    pid_t target;
};

static int read_log(void *ctx, int dirfd, const char *dir, const struct tl__san_log *log,
                    FILE *warnings)
{
    struct log_reader *r = ctx;
    return add_log(dirfd, dir, log, r->target, r->gate, warnings);
}

int tsan_gate_collect(const char *dir, pid_t target, struct tl__tsan_gate *out)
{
    memset(out, 0, sizeof *out);
    struct log_reader reader = {out, target};
    int rc = san_logs_read(dir, TL_TSAN_LOG_NAME, target, read_log, &reader, &out->warnings);
    if (rc == 0)
        rc = render(out);
    if (rc != 0) {
        int saved = errno ? errno : ENOMEM;
        tsan_gate_free(out);
        errno = saved;
    }
    return rc;
}

void tsan_gate_free(struct tl__tsan_gate *g)
{
    tsan_report_set_free(&g->set);
    free(g->findings_json);
    free(g->messages_json);
    free(g->text);
    free(g->warnings);
    memset(g, 0, sizeof *g);
}

int tsan_gate_check_dir(const char *dir, char *err, size_t errlen)
{
    return san_logs_check_dir(dir, TL_TSAN_LOG_NAME, "ThreadSanitizer", err, errlen);
}
