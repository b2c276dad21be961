/* Collecting ASan's and LSan's logs from the report directory (asan_gate.h). Each log is parsed
 * on its own and its findings are moved into one set, the target's first, then by pid. */
#include "asan_gate.h"

#include "toolbox.h"

#include "asan_env.h"
#include "json_writer.h"
#include "san_logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LOG_SIZE (64u << 20)

/* Moves src's findings and messages to the end of dst and leaves src empty. */
static int move_set(struct tl__asan_report_set *dst, struct tl__asan_report_set *src, pid_t pid)
{
    struct tl__asan_finding *f =
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
    free(src->findings);
    free(src->messages);
    memset(src, 0, sizeof *src);
    return 0;
}

static void count_findings(struct tl__asan_gate *g, const struct tl__asan_report_set *one,
                           bool target)
{
    for (size_t i = 0; i < one->nfindings; i++) {
        const struct tl__asan_finding *f = &one->findings[i];
        if (asan_finding_is_leak_report(f)) {
            g->leak_reports++;
            g->leaked_bytes += f->leaked_bytes;
            g->leaked_allocations += f->leaked_allocations;
            g->target_leak_reported |= target;
        } else {
            g->error_reports++;
            g->target_error_reported |= target;
        }
    }
    g->processes += one->nfindings > 0;
}

static int add_log(int dirfd, const char *dir, const struct tl__san_log *log, pid_t target,
                   struct tl__asan_gate *g, FILE *warnings)
{
    size_t len;
    char *text = tl__read_file_at(dirfd, log->name, MAX_LOG_SIZE, &len);
    if (!text) {
        fprintf(warnings, "threadleak: warning: AddressSanitizer log %s/%s cannot be read (%s)\n",
                dir, log->name, strerror(errno));
        return 0;
    }
    struct tl__asan_report_set one;
    int n = asan_report_parse(text, len, &one);
    free(text);
    if (n >= 0)
        count_findings(g, &one, log->pid == target);
    if (n < 0 || move_set(&g->set, &one, log->pid) != 0) {
        asan_report_set_free(&one);
        errno = ENOMEM;
        return -1;
    }
    g->logs++;
    return 0;
}

/* ---- JSON ---- */

static void write_findings(struct tl__json_writer *w, const void *set)
{
    asan_report_write_findings(w, set);
}

static void write_messages(struct tl__json_writer *w, const void *set)
{
    asan_report_write_messages(w, set);
}

/* ---- text ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void write_frames(FILE *out, const struct tl__tsan_frame *frames, size_t n)
{
    size_t shown = n < TL_ASAN_FRAMES_SHOWN ? n : TL_ASAN_FRAMES_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        const struct tl__tsan_frame *f = &frames[i];
        fprintf(out, "    #%u %s", f->index, f->function ? f->function : "<null>");
        if (f->file && f->line)
            fprintf(out, " %s:%u", f->file, f->line);
        else if (f->file)
            fprintf(out, " %s", f->file);
        if (f->module)
            fprintf(out, " (%s)", base_name(f->module));
        fputc('\n', out);
    }
    if (n > shown)
        fprintf(out, "    ... %zu more %s\n", n - shown, n - shown == 1 ? "frame" : "frames");
}

static void write_leak_report(FILE *out, const struct tl__asan_finding *f)
{
    fprintf(out, "==== %s: %s (pid %ld): %zu %s, %lu %s in %lu %s ====\n", f->tool, f->kind, f->pid,
            f->nleaks, f->nleaks == 1 ? "leak" : "leaks", f->leaked_bytes,
            f->leaked_bytes == 1 ? "byte" : "bytes", f->leaked_allocations,
            f->leaked_allocations == 1 ? "allocation" : "allocations");
    size_t shown = f->nleaks < TL_ASAN_LEAKS_SHOWN ? f->nleaks : TL_ASAN_LEAKS_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        const struct tl__asan_leak *l = &f->leaks[i];
        fprintf(out, "  %s leak of %lu byte(s) in %lu object(s) allocated from:\n",
                l->direct ? "Direct" : "Indirect", l->bytes, l->objects);
        write_frames(out, l->frames, l->nframes);
    }
    if (f->nleaks > shown)
        fprintf(out, "  ... %zu more leaks (all of them are in the JSON report)\n",
                f->nleaks - shown);
}

static void write_finding(FILE *out, const struct tl__asan_finding *f)
{
    if (asan_finding_is_leak_report(f)) {
        write_leak_report(out, f);
    } else {
        fprintf(out, "==== %s: %s (pid %ld) ====\n", f->tool, f->kind, f->pid);
        fprintf(out, "  %s\n", f->description);
        for (size_t i = 0; i < f->nstacks; i++) {
            fprintf(out, "  %s:\n", f->stacks[i].title[0] ? f->stacks[i].title : "stack");
            write_frames(out, f->stacks[i].frames, f->stacks[i].nframes);
        }
    }
    fprintf(out, "%s\n", f->summary ? f->summary : "(the report was cut short)");
}

static void write_text(FILE *out, const struct tl__asan_gate *g)
{
    for (size_t i = 0; i < g->set.nfindings; i++)
        write_finding(out, &g->set.findings[i]);
    for (size_t i = 0; i < g->set.nmessages; i++)
        fprintf(out, "==%ld==%s\n", g->set.messages[i].pid, g->set.messages[i].text);
    if (g->set.nfindings == 0)
        return;
    fprintf(out, "threadleak: %zu AddressSanitizer/LeakSanitizer %s in %zu %s (", g->set.nfindings,
            g->set.nfindings == 1 ? "finding" : "findings", g->processes,
            g->processes == 1 ? "process" : "processes");
    const char *sep = "";
    if (g->leak_reports > 0) {
        fprintf(out, "%lu memory leak %s: %lu %s in %lu %s", g->leak_reports,
                g->leak_reports == 1 ? "report" : "reports", g->leaked_bytes,
                g->leaked_bytes == 1 ? "byte" : "bytes", g->leaked_allocations,
                g->leaked_allocations == 1 ? "allocation" : "allocations");
        sep = "; ";
    }
    for (size_t i = 0; i < g->set.nfindings; i++) {
        const struct tl__asan_finding *f = &g->set.findings[i];
        if (!asan_finding_is_leak_report(f)) {
            fprintf(out, "%s%s", sep, f->kind);
            sep = ", ";
        }
    }
    fputs(")\n", out);
}

static int render(struct tl__asan_gate *g)
{
    size_t len;
    FILE *out = open_memstream(&g->text, &len);
    if (!out)
        return -1;
    write_text(out, g);
    if (fclose(out) != 0)
        return -1;
    g->findings_json = tl__jw_to_string(write_findings, &g->set);
    g->messages_json = tl__jw_to_string(write_messages, &g->set);
    return g->findings_json && g->messages_json ? 0 : -1;
}

/* add_log as san_logs_read calls it. */
struct log_reader {
    struct tl__asan_gate *gate;
    pid_t target;
};

static int read_log(void *ctx, int dirfd, const char *dir, const struct tl__san_log *log,
                    FILE *warnings)
{
    struct log_reader *r = ctx;
    return add_log(dirfd, dir, log, r->target, r->gate, warnings);
}

int asan_gate_collect(const char *dir, pid_t target, struct tl__asan_gate *out)
{
    memset(out, 0, sizeof *out);
    struct log_reader reader = {out, target};
    int rc = san_logs_read(dir, TL_ASAN_LOG_NAME, target, read_log, &reader, &out->warnings);
    if (rc == 0)
        rc = render(out);
    if (rc != 0) {
        int saved = errno ? errno : ENOMEM;
        asan_gate_free(out);
        errno = saved;
    }
    return rc;
}

void asan_gate_free(struct tl__asan_gate *g)
{
    asan_report_set_free(&g->set);
    free(g->findings_json);
    free(g->messages_json);
    free(g->text);
    free(g->warnings);
    memset(g, 0, sizeof *g);
}

int asan_gate_check_dir(const char *dir, char *err, size_t errlen)
{
    return san_logs_check_dir(dir, TL_ASAN_LOG_NAME, "AddressSanitizer", err, errlen);
}
