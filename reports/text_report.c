/* Findings to the human-readable report. See docs/report-format.md for the layout. */
#include "text_report.h"

#include "atomic_file.h"
#include "live_stacks.h"
#include "lock_report_text.h"

#include <inttypes.h>
#include <string.h>

#define ANSI_RESET  "\033[0m"
#define ANSI_BOLD   "\033[1m"
#define ANSI_RED    "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_CYAN   "\033[36m"

struct text_out {
    FILE *out;
    bool color;
};

static void begin_color(const struct text_out *o, const char *code)
{
    if (o->color)
        fputs(code, o->out);
}

static void end_color(const struct text_out *o)
{
    if (o->color)
        fputs(ANSI_RESET, o->out);
}

static bool needs_escape(unsigned char c, bool quoted)
{
    return c < 0x20 || c == 0x7F || (quoted && (c == '"' || c == '\\'));
}

/* Prints at most max bytes of s, control bytes (and the quote, when quoted) escaped. Safe runs
 * go out in one write. */
static void put_sanitized(const struct text_out *o, const char *s, size_t max, bool quoted)
{
    size_t run = 0, i = 0;
    for (; i < max && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape(c, quoted))
            continue;
        fwrite(s + run, 1, i - run, o->out);
        if (c < 0x20 || c == 0x7F)
            fprintf(o->out, "\\x%02x", c);
        else
            fprintf(o->out, "\\%c", c);
        run = i + 1;
    }
    fwrite(s + run, 1, i - run, o->out);
}

static void put_text(const struct text_out *o, const char *s)
{
    put_sanitized(o, s, SIZE_MAX, false);
}

/* ` "name"` after a tid, nothing when the name is unknown. */
static void put_thread_name(const struct text_out *o, const char *name)
{
    if (name[0] == '\0')
        return;
    fputs(" \"", o->out);
    put_sanitized(o, name, TL_NAME_MAX, true);
    fputc('"', o->out);
}

static const char *plural(unsigned long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- header and summary ---- */

static void put_command_line(const struct text_out *o, const struct tl__findings *f)
{
    if (f->argv != NULL && f->argv[0] != NULL) {
        for (char **arg = f->argv; *arg != NULL; arg++) {
            if (arg != f->argv)
                fputc(' ', o->out);
            put_text(o, *arg);
        }
    } else if (f->exe != NULL) {
        put_text(o, f->exe);
    }
}

static void write_header(const struct text_out *o, const struct tl__findings *f)
{
    fprintf(o->out, "==%ld== threadleak: ", (long)f->pid);
    if (f->leaked == 0)
        fputs("no leaked threads", o->out);
    else
        fprintf(o->out, "%u leaked %s in %zu %s", f->leaked, plural(f->leaked, "thread", "threads"),
                f->ngroups, plural(f->ngroups, "group", "groups"));
    fprintf(o->out, " (pid %ld", (long)f->pid);
    if ((f->argv != NULL && f->argv[0] != NULL) || f->exe != NULL) {
        fputs(", ", o->out);
        put_command_line(o, f);
    }
    if (f->label != NULL) {
        fputs(", label ", o->out);
        put_text(o, f->label);
    }
    fputs(")\n", o->out);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* "FILE:LINE in FUNCTION", as ThreadSanitizer's SUMMARY names a place; without line info
 * "(MODULE+0xOFFSET) in FUNCTION". */
static void put_site(const struct text_out *o, const struct tl__leak_group *g)
{
    const struct tl__frame *site = g->site;
    if (site == NULL) {
        fputs("an unknown site", o->out);
        return;
    }
    if (site->file != NULL) {
        put_text(o, site->file);
        if (site->line > 0)
            fprintf(o->out, ":%d", site->line);
    } else if (site->module != NULL) {
        fputc('(', o->out);
        put_text(o, base_name(site->module));
        fprintf(o->out, "+0x%" PRIxPTR ")", g->site_offset);
    } else {
        fputs("??", o->out);
    }
    fputs(" in ", o->out);
    put_text(o, site->function != NULL ? site->function : "??");
}

/* "2 leaked threads (reader) created at server.c:41 in main" for one group; with more,
 * "3 leaked threads (2 groups), first 2 (reader) created at ...": the first group's site. */
static void put_leak_summary(const struct text_out *o, const struct tl__findings *f)
{
    fprintf(o->out, "%u leaked %s", f->leaked, plural(f->leaked, "thread", "threads"));
    if (f->ngroups == 0)
        return;
    const struct tl__leak_group *first = &f->groups[0];
    if (f->ngroups > 1)
        fprintf(o->out, " (%zu groups), first %u", f->ngroups, first->count);
    fputs(" (", o->out);
    put_text(o, first->start_routine != NULL ? first->start_routine : "??");
    fputs(") created at ", o->out);
    put_site(o, first);
}

static void write_summary(const struct text_out *o, const struct tl__findings *f)
{
    fprintf(o->out, "==%ld== SUMMARY: threadleak: ", (long)f->pid);
    put_leak_summary(o, f);
    fprintf(o->out, ", %" PRIu64 " %s created", f->threads_created,
            plural(f->threads_created, "thread", "threads"));
    if (f->suppressed > 0)
        fprintf(o->out, ", %u suppressed", f->suppressed);
    if (f->suppressed_by_default > 0)
        fprintf(o->out, ", %u %s suppressed by default", f->suppressed_by_default,
                plural(f->suppressed_by_default, "thread", "threads"));
    if (f->locks)
        lock_report_text_summary(o->out, f->locks);
    fputc('\n', o->out);
}

/* ---- one group ---- */

static unsigned cancelled_count(const struct tl__leak_group *g)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g->count; i++)
        n += g->threads[i].cancelled;
    return n;
}

static void put_state(const struct text_out *o, const struct tl__leak_group *g)
{
    bool running = g->state == TL_LEAK_RUNNING;
    begin_color(o, running ? ANSI_RED : ANSI_YELLOW);
    if (running)
        fputs("still running", o->out);
    else if (!g->detached)
        fputs("finished but never joined", o->out);
    else
        fputs("finished", o->out);
    end_color(o);
    /* "never joined" already says joinable; a running thread needs it spelled out. */
    if (running || g->detached)
        fputs(g->detached ? ", detached" : ", joinable", o->out);
}

/* `main thread (tid N "name")`, `thread N "name"`, or an untracked creator. */
static void put_creator(const struct text_out *o, const struct tl__leak_group *g)
{
    if (g->creator_is_main) {
        fputs("main thread (tid ", o->out);
        if (g->creator_tid > 0)
            fprintf(o->out, "%ld", (long)g->creator_tid);
        else
            fputc('?', o->out);
        put_thread_name(o, g->creator_name);
        fputc(')', o->out);
    } else if (g->creator_tid > 0) {
        fprintf(o->out, "thread %ld", (long)g->creator_tid);
        put_thread_name(o, g->creator_name);
    } else {
        fputs("an untracked thread", o->out);
    }
}

static void write_group_header(const struct text_out *o, const struct tl__leak_group *g)
{
    fprintf(o->out, "%u %s ", g->count, plural(g->count, "thread", "threads"));
    put_state(o, g);
    if (g->c11)
        fputs(" (thrd_create)", o->out);
    unsigned cancelled = cancelled_count(g);
    if (cancelled == g->count)
        fputs(", cancelled", o->out);
    else if (cancelled > 0)
        fprintf(o->out, ", %u cancelled", cancelled);
    fputs(", created by ", o->out);
    put_creator(o, g);
    if (g->scope != NULL) {
        fputs(", in scope ", o->out);
        put_text(o, g->scope);
    }
    fputc('\n', o->out);
}

static void write_thread_list(const struct text_out *o, const struct tl__leak_group *g)
{
    fputs("  threads: ", o->out);
    unsigned listed = g->count < TL_TEXT_MAX_LISTED_THREADS ? g->count : TL_TEXT_MAX_LISTED_THREADS;
    for (unsigned i = 0; i < listed; i++) {
        const struct tl__leaked_thread *t = &g->threads[i];
        if (i > 0)
            fputs(", ", o->out);
        fprintf(o->out, "%ld", (long)t->tid);
        put_thread_name(o, t->name);
        if (t->cancelled)
            fputs(" (cancelled)", o->out);
    }
    if (g->count > listed)
        fprintf(o->out, ", and %u more", g->count - listed);
    fputc('\n', o->out);
}

/* Whether thread i's wait text already appeared for an earlier thread of the group. */
static bool wait_seen_before(const struct tl__leak_group *g, unsigned i)
{
    for (unsigned k = 0; k < i; k++)
        if (strncmp(g->threads[k].wait, g->threads[i].wait, sizeof g->threads[i].wait) == 0)
            return true;
    return false;
}

static unsigned wait_occurrences(const struct tl__leak_group *g, unsigned i)
{
    unsigned n = 0;
    for (unsigned k = i; k < g->count; k++)
        n += strncmp(g->threads[k].wait, g->threads[i].wait, sizeof g->threads[i].wait) == 0;
    return n;
}

/* One "blocked in:" line per distinct wait, with a count when the threads disagree. */
static void write_waits(const struct text_out *o, const struct tl__leak_group *g)
{
    for (unsigned i = 0; i < g->count; i++) {
        const char *wait = g->threads[i].wait;
        if (wait[0] == '\0' || wait_seen_before(g, i))
            continue;
        fputs("  blocked in: ", o->out);
        put_sanitized(o, wait, sizeof g->threads[i].wait, false);
        unsigned n = wait_occurrences(g, i);
        if (n != g->count)
            fprintf(o->out, " (%u %s)", n, plural(n, "thread", "threads"));
        fputc('\n', o->out);
    }
}

static void write_frame(const struct text_out *o, size_t index, const struct tl__frame *frame)
{
    fprintf(o->out, "    #%-2zu 0x%016" PRIxPTR " ", index, frame->pc);
    begin_color(o, ANSI_BOLD);
    put_text(o, frame->function != NULL ? frame->function : "??");
    end_color(o);
    if (frame->file != NULL) {
        fputs("  ", o->out);
        begin_color(o, ANSI_CYAN);
        put_text(o, frame->file);
        if (frame->line > 0)
            fprintf(o->out, ":%d", frame->line);
        end_color(o);
    }
    if (frame->module != NULL) {
        fputs("  (", o->out);
        put_text(o, base_name(frame->module));
        fputc(')', o->out);
    }
    if (frame->inlined)
        fputs("  [inlined]", o->out);
    fputc('\n', o->out);
}

static void write_stack(const struct text_out *o, const struct tl__frame *frames, size_t depth)
{
    if (frames == NULL || depth == 0) {
        fputs("    (no frames)\n", o->out);
        return;
    }
    /* The C library's start-up code below main says nothing the reader can act on; TSan leaves
     * it out too. The JSON report keeps every frame. */
    for (size_t i = 1; i < depth; i++) {
        if (findings_frame_below_main(&frames[i])) {
            depth = i; /* and the frames under it: a stripped program's _start is "??" */
            break;
        }
    }
    for (size_t i = 0; i < depth; i++)
        write_frame(o, i, &frames[i]);
}

void text_report_stack(FILE *out, bool color, const struct tl__frame *frames, size_t depth)
{
    struct text_out o = {.out = out, .color = color};
    write_stack(&o, frames, depth);
}

void text_report_put(FILE *out, const char *s)
{
    struct text_out o = {.out = out};
    put_text(&o, s);
}

void text_report_name(FILE *out, const char *name)
{
    struct text_out o = {.out = out};
    put_thread_name(&o, name);
}

/* A running group's stack now, or why there is none ("signals blocked": the thread blocks the
 * dump signal), so that a missing stack never reads as a forgotten one. An exited group has none
 * by nature, and its state already says so. */
static void write_current_stack(const struct text_out *o, const struct tl__leak_group *g)
{
    pid_t tid = g->current_tid > 0 ? g->current_tid : g->threads[0].tid;
    if (g->current_stack != NULL && g->current_depth > 0) {
        fprintf(o->out, "  current stack (tid %ld):\n", (long)tid);
        write_stack(o, g->current_stack, g->current_depth);
        if (g->current_partial)
            fprintf(o->out, "    (%s)\n", LIVE_STACK_PARTIAL_NOTE);
    } else if (g->state == TL_LEAK_RUNNING && g->stack_status != NULL) {
        fprintf(o->out, "  no current stack (tid %ld): ", (long)tid);
        put_text(o, g->stack_status);
        fputc('\n', o->out);
    }
}

static void write_group(const struct text_out *o, const struct tl__leak_group *g)
{
    write_group_header(o, g);
    fputs("  start routine: ", o->out);
    begin_color(o, ANSI_BOLD);
    put_text(o, g->start_routine != NULL ? g->start_routine : "??");
    end_color(o);
    fputc('\n', o->out);
    write_thread_list(o, g);
    write_waits(o, g);
    write_current_stack(o, g);
    fputs("  created at:\n", o->out);
    write_stack(o, g->creation_stack, g->creation_depth);
}

int report_write_text(FILE *out, const struct tl__findings *f, bool color)
{
    struct text_out o = {.out = out, .color = color};
    write_header(&o, f);
    for (size_t i = 0; i < f->ngroups; i++) {
        fputc('\n', out);
        write_group(&o, &f->groups[i]);
    }
    if (f->ngroups > 0)
        fputc('\n', out);
    if (f->locks && lock_report_text(out, f->pid, f->locks, color))
        fputc('\n', out);
    write_summary(&o, f);
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}

struct text_content {
    const struct tl__findings *findings;
    bool color;
};

static int write_text_content(FILE *out, const void *ctx)
{
    const struct text_content *content = ctx;
    return report_write_text(out, content->findings, content->color);
}

int report_write_text_file_atomic(const char *dir, const struct tl__findings *f, bool color,
                                  char *path_out, size_t path_len)
{
    char name[64];
    snprintf(name, sizeof name, "threadleak.%ld.txt", (long)f->pid);
    struct text_content content = {.findings = f, .color = color};
    return tl__write_file_atomic(dir, name, write_text_content, &content, path_out, path_len);
}
