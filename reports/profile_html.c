/* The endpoint's index page. The links are relative to the server root, so the page works behind
 * any loopback port. */
#include "profile_html.h"

#include "profile_format.h"

#include <stdbool.h>
#include <time.h>

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em;margin-bottom:.2em}"
    "table{border-collapse:collapse;margin:.8em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eef}"
    "td.num{text-align:right}"
    "td.frames{font-family:monospace;font-size:.9em;white-space:pre}"
    "tr.running td.state{color:#060}"
    "tr.exited_unjoined td.state{color:#b00}"
    "tr.waiting td.state{color:#336}"
    ".note{color:#666}";

void profile_html_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            putc(*s, out);
        }
    }
}

static void cell(FILE *out, const char *cls, const char *text)
{
    fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    profile_html_escape(out, text);
    fputs("</td>", out);
}

static void write_links(FILE *out, const struct thread_profile *p)
{
    static const struct {
        const char *href, *label, *what;
    } links[] = {
        {"/debug/threads?debug=1", "debug=1", "threads grouped by current stack"},
        {"/debug/threads?debug=2", "debug=2", "every thread, its stack and creator"},
        {"/debug/threads?format=json", "json", "the same as JSON"},
        {"/debug/pprof/threads", "pprof", "profile.proto for go tool pprof"},
        {"/metrics", "metrics", "Prometheus"},
        {"/debug/threads/growth", "growth", "live threads per creation site over time"},
    };
    fputs("<p>", out);
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        fprintf(out, "%s<a href=\"%s\">%s</a> <span class=\"note\">(%s)</span>",
                i ? " &middot; " : "", links[i].href, links[i].label, links[i].what);
    if (p->locks_module) /* /debug/locks exists with the lock module only */
        fputs(" &middot; <a href=\"/debug/locks\">locks</a> <span class=\"note\">(held locks, "
              "waiters, lock order, deadlocks)</span>",
              out);
    fputs("</p>\n", out);
}

static void write_totals(FILE *out, const struct thread_profile *p)
{
    fputs("<table class=\"totals\"><tr><th>state</th><th>threads</th></tr>\n", out);
    for (int s = 0; s < THREAD_PROFILE_STATE_COUNT; s++)
        fprintf(out, "<tr><td>%s</td><td class=\"num\">%zu</td></tr>\n",
                thread_profile_state_name((enum thread_profile_state)s), p->by_state[s]);
    fprintf(out,
            "<tr><td>created since start</td><td class=\"num\">%llu</td></tr>\n"
            "<tr><td>tasks in /proc (threadleak's own included)</td>"
            "<td class=\"num\">%zu</td></tr>\n</table>\n",
            (unsigned long long)p->created_total, p->process_threads);
}

static void write_top_frames(FILE *out, const struct thread_profile *p,
                             const struct thread_profile_thread *t)
{
    fputs("<td class=\"frames\">", out);
    if (t->stack == THREAD_PROFILE_NO_STACK) {
        fputs("<span class=\"note\">no current stack: ", out);
        profile_html_escape(out, profile_missing_stack_reason(t));
        fputs("</span>", out);
    }
    const struct thread_profile_stack *s =
        t->stack == THREAD_PROFILE_NO_STACK ? NULL : &p->stacks[t->stack];
    unsigned shown = 0;
    for (uint32_t i = 0; s && i < s->depth && shown < PROFILE_HTML_TOP_FRAMES; i++) {
        const struct tl__location *loc = &p->locations[s->locations[i]];
        for (uint32_t k = 0; k < loc->nframes && shown < PROFILE_HTML_TOP_FRAMES; k++, shown++) {
            const struct tl__frame *frame = &loc->frames[k];
            if (shown)
                putc('\n', out);
            profile_html_escape(out, frame->function);
            if (frame->file) {
                fputs(" ", out);
                profile_html_escape(out, frame->file);
                fprintf(out, ":%d", frame->line);
            }
        }
    }
    fputs("</td>", out);
}

static void write_thread_row(FILE *out, const struct thread_profile *p,
                             const struct thread_profile_thread *t)
{
    char state[PROFILE_TEXT_MAX], duration[64] = "", creator[64];
    profile_state_text(t, state, sizeof state);
    if (t->duration != THREAD_PROFILE_DURATION_NONE) {
        char d[48];
        profile_format_duration(t->state_ns, d, sizeof d);
        snprintf(duration, sizeof duration, "%s%s",
                 t->duration == THREAD_PROFILE_DURATION_AT_LEAST ? "&ge; " : "", d);
    }
    profile_creator_text(t, creator, sizeof creator);
    fprintf(out, "<tr class=\"%s\"><td class=\"num\">%d</td>", thread_profile_state_name(t->state),
            (int)t->tid);
    cell(out, NULL, t->name);
    cell(out, "state", thread_profile_state_name(t->state));
    fprintf(out, "<td>%s</td>", duration); /* built from numbers and a fixed entity only */
    cell(out, NULL, t->state == THREAD_PROFILE_WAITING ? state : "");
    cell(out, NULL, t->start_routine ? t->start_routine : "");
    cell(out, NULL, t->tracked ? creator : "(not tracked)");
    write_top_frames(out, p, t);
    fputs("</tr>\n", out);
}

static void write_threads(FILE *out, const struct thread_profile *p)
{
    fputs("<table class=\"threads\"><tr><th>tid</th><th>name</th><th>state</th><th>for</th>"
          "<th>wait</th><th>start routine</th><th>created by</th><th>top frames</th></tr>\n",
          out);
    for (size_t i = 0; i < p->count; i++)
        write_thread_row(out, p, &p->threads[i]);
    fputs("</table>\n", out);
}

static void write_when(FILE *out, const struct thread_profile *p)
{
    time_t seconds = (time_t)(p->taken_ns / 1000000000u);
    struct tm tm;
    char when[64] = "";
    if (gmtime_r(&seconds, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out,
            "<p class=\"note\">Taken %s in %.1f ms; %zu threads listed, stacks %s. Refresh for a "
            "new snapshot.</p>\n",
            when, (double)p->elapsed_ns / 1e6, p->count,
            p->signalled ? "from a signal to each thread" : "not taken (nosignal)");
    if (p->message[0]) {
        fputs("<p class=\"note\">", out);
        profile_html_escape(out, p->message);
        fputs("</p>\n", out);
    }
}

int profile_write_html(FILE *out, const struct thread_profile *p)
{
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>threadleak: threads of process %d</title><style>%s</style></head><body>\n"
            "<h1>threadleak: threads of process %d</h1>\n",
            (int)p->pid, style, (int)p->pid);
    write_links(out, p);
    write_when(out, p);
    write_totals(out, p);
    write_threads(out, p);
    fputs("</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
