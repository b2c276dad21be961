/* Parses ThreadSanitizer's text output (see tsan_report.h); tsan_report_json.c writes it as JSON.
 *
 * The parser is a line-at-a-time state machine: outside a report it only looks for the start of
 * one, for "reported N warnings" and for `==PID==` messages; inside a report it sorts each line
 * into title, frame, "And N more", SUMMARY or noise. */
#include "tsan_report.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char WARNING_MARK[] = "WARNING: ThreadSanitizer: ";
static const char SUMMARY_MARK[] = "SUMMARY: ThreadSanitizer: ";
static const char REPORTED_MARK[] = "ThreadSanitizer: reported ";
static const char SEPARATOR[] = "==================";
static const char MORE_LEAKS_MARK[] = "And ";
static const char MORE_LEAKS_TAIL[] = " more similar thread leaks.";

#define MARK_LEN(m) (sizeof(m) - 1)

/* A piece of the input: not NUL-terminated. */
struct span {
    const char *s;
    size_t n;
};

struct parser {
    struct tl__tsan_report_set *set;
    struct tl__tsan_finding *report; /* the open report, NULL outside one */
    bool oom;
};

/* ---- small string helpers over spans ---- */

static struct span span_trim(struct span v)
{
    while (v.n > 0 && isspace((unsigned char)v.s[0])) {
        v.s++;
        v.n--;
    }
    while (v.n > 0 && isspace((unsigned char)v.s[v.n - 1]))
        v.n--;
    return v;
}

static bool span_starts_with(struct span v, const char *prefix, size_t plen)
{
    return v.n >= plen && memcmp(v.s, prefix, plen) == 0;
}

static bool span_ends_with(struct span v, const char *suffix, size_t slen)
{
    return v.n >= slen && memcmp(v.s + v.n - slen, suffix, slen) == 0;
}

static bool span_equals(struct span v, const char *text)
{
    return v.n == strlen(text) && memcmp(v.s, text, v.n) == 0;
}

/* Where needle first occurs in v, or NULL. */
static const char *span_find(struct span v, const char *needle, size_t nlen)
{
    return memmem(v.s, v.n, needle, nlen);
}

/* Reads decimal digits at the start of v; false when there are none or they overflow. */
static bool span_take_ulong(struct span *v, unsigned long *out)
{
    unsigned long value = 0;
    size_t i = 0;
    for (; i < v->n && isdigit((unsigned char)v->s[i]); i++) {
        unsigned digit = (unsigned)(v->s[i] - '0');
        if (value > (~0UL - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    if (i == 0)
        return false;
    v->s += i;
    v->n -= i;
    *out = value;
    return true;
}

static bool span_all_digits(struct span v)
{
    if (v.n == 0)
        return false;
    for (size_t i = 0; i < v.n; i++)
        if (!isdigit((unsigned char)v.s[i]))
            return false;
    return true;
}

static char *span_dup(struct parser *p, struct span v)
{
    char *copy = malloc(v.n + 1);
    if (!copy) {
        p->oom = true;
        return NULL;
    }
    memcpy(copy, v.s, v.n);
    copy[v.n] = '\0';
    return copy;
}

/* TSan prints "<null>" for an unknown function or file: keep that as NULL. */
static char *span_dup_or_null(struct parser *p, struct span v)
{
    if (v.n == 0 || span_equals(v, "<null>"))
        return NULL;
    return span_dup(p, v);
}

/* Makes room for one more element in an array whose capacity is the next power of two at or
 * above its count, so no capacity field is needed. */
static bool grow_for_one(struct parser *p, void **array, size_t count, size_t elem)
{
    if (count != 0 && (count & (count - 1)) != 0)
        return true;
    size_t capacity = count ? count * 2 : 1;
    void *bigger = realloc(*array, capacity * elem);
    if (!bigger) {
        p->oom = true;
        return false;
    }
    *array = bigger;
    return true;
}

/* ---- frames ---- */

/* The last parenthesised group of v, if v ends with one: its contents in *inner, and v shortened
 * to what precedes it. Scans backwards counting depth so parentheses inside are fine. */
static bool take_trailing_group(struct span *v, struct span *inner)
{
    if (v->n == 0 || v->s[v->n - 1] != ')')
        return false;
    int depth = 0;
    for (size_t i = v->n; i-- > 0;) {
        if (v->s[i] == ')')
            depth++;
        else if (v->s[i] == '(' && --depth == 0) {
            *inner = (struct span){v->s + i + 1, v->n - i - 2};
            *v = span_trim((struct span){v->s, i});
            return true;
        }
    }
    return false;
}

/* "module+0xOFF", "<unknown module>" or a bare module. */
static void parse_module(struct parser *p, struct span group, struct tl__tsan_frame *f)
{
    if (span_equals(group, "<unknown module>"))
        return;
    const char *plus = NULL;
    for (size_t i = group.n; i-- > 2;) {
        if (group.s[i - 2] == '+' && group.s[i - 1] == '0' && group.s[i] == 'x') {
            plus = group.s + i - 2;
            break;
        }
    }
    if (!plus) {
        f->module = span_dup_or_null(p, group);
        return;
    }
    f->module = span_dup_or_null(p, (struct span){group.s, (size_t)(plus - group.s)});
    char hex[32];
    size_t hlen = group.n - (size_t)(plus + 3 - group.s);
    if (hlen == 0 || hlen >= sizeof hex)
        return;
    memcpy(hex, plus + 3, hlen);
    hex[hlen] = '\0';
    f->module_offset = strtoull(hex, NULL, 16);
}

/* "FILE:LINE:COL", "FILE:LINE", "FILE" or "<null>". */
static void parse_source(struct parser *p, struct span src, struct tl__tsan_frame *f)
{
    unsigned long numbers[2];
    int count = 0;
    while (count < 2) {
        const char *colon = memrchr(src.s, ':', src.n);
        if (!colon)
            break;
        struct span tail = {colon + 1, src.n - (size_t)(colon + 1 - src.s)};
        unsigned long value;
        struct span digits = tail;
        if (!span_all_digits(tail) || !span_take_ulong(&digits, &value) || value > ~0U)
            break;
        numbers[count++] = value;
        src.n = (size_t)(colon - src.s);
    }
    if (count == 2) {
        f->line = (unsigned)numbers[1];
        f->column = (unsigned)numbers[0];
    } else if (count == 1) {
        f->line = (unsigned)numbers[0];
    }
    f->file = span_dup_or_null(p, src);
}

/* v is a trimmed line starting with '#'. False when it is not a frame after all. */
static bool parse_frame(struct parser *p, struct span v, struct tl__tsan_frame *f)
{
    memset(f, 0, sizeof *f);
    v.s++;
    v.n--;
    unsigned long index;
    if (!span_take_ulong(&v, &index) || v.n == 0 || v.s[0] != ' ' || index > ~0U)
        return false;
    f->index = (unsigned)index;
    v = span_trim(v);

    struct span group = {0};
    bool have_group = take_trailing_group(&v, &group);
    if (have_group && span_starts_with(group, "BuildId: ", 9))
        have_group = take_trailing_group(&v, &group); /* clang appends it after the module */
    if (have_group)
        parse_module(p, group, f);

    const char *space = memrchr(v.s, ' ', v.n);
    if (!space) {
        f->function = span_dup_or_null(p, v);
        return true;
    }
    struct span function = span_trim((struct span){v.s, (size_t)(space - v.s)});
    struct span source = {space + 1, v.n - (size_t)(space + 1 - v.s)};
    f->function = span_dup_or_null(p, function);
    parse_source(p, source, f);
    return true;
}

static void frame_free(struct tl__tsan_frame *f)
{
    free(f->function);
    free(f->file);
    free(f->module);
}

int tsan_frame_parse(const char *line, size_t len, struct tl__tsan_frame *f)
{
    struct parser p = {0};
    struct span v = span_trim((struct span){line, len});
    if (v.n < 2 || v.s[0] != '#' || !isdigit((unsigned char)v.s[1]) || !parse_frame(&p, v, f)) {
        frame_free(f);
        memset(f, 0, sizeof *f);
        return 0;
    }
    if (p.oom) {
        frame_free(f);
        memset(f, 0, sizeof *f);
        return -1;
    }
    return 1;
}

void tsan_frame_free(struct tl__tsan_frame *f)
{
    frame_free(f);
}

/* ---- findings ---- */

static struct tl__tsan_stack *current_stack(struct tl__tsan_finding *r)
{
    return r->nstacks ? &r->stacks[r->nstacks - 1] : NULL;
}

static struct tl__tsan_stack *add_stack(struct parser *p, struct span title)
{
    struct tl__tsan_finding *r = p->report;
    if (!grow_for_one(p, (void **)&r->stacks, r->nstacks, sizeof *r->stacks))
        return NULL;
    char *copy = span_dup(p, title);
    if (!copy)
        return NULL;
    struct tl__tsan_stack *s = &r->stacks[r->nstacks++];
    *s = (struct tl__tsan_stack){.title = copy};
    return s;
}

static void add_frame(struct parser *p, struct span line)
{
    struct tl__tsan_frame frame;
    if (!parse_frame(p, line, &frame)) {
        frame_free(&frame);
        return;
    }
    /* A #0 after frames, or frames before any title, start an untitled stack. */
    struct tl__tsan_stack *s = current_stack(p->report);
    if (!s || (frame.index == 0 && s->nframes > 0))
        s = add_stack(p, (struct span){"", 0});
    if (!s || !grow_for_one(p, (void **)&s->frames, s->nframes, sizeof *s->frames)) {
        frame_free(&frame);
        return;
    }
    s->frames[s->nframes++] = frame;
}

/* "Thread T1 (tid=7, finished) created by main thread at" (a name in quotes may follow T1). */
static bool is_thread_title(const char *title)
{
    return strncmp(title, "Thread T", 8) == 0 && strstr(title, " created by ") != NULL;
}

static enum tl__tsan_thread_state thread_state_of(const char *title)
{
    const char *tid = strstr(title, "(tid=");
    const char *close = tid ? strchr(tid, ')') : NULL;
    if (!close)
        return TL_TSAN_THREAD_UNKNOWN;
    struct span inside = {tid, (size_t)(close - tid)};
    if (span_ends_with(inside, ", finished", 10))
        return TL_TSAN_THREAD_FINISHED;
    if (span_ends_with(inside, ", running", 9))
        return TL_TSAN_THREAD_RUNNING;
    return TL_TSAN_THREAD_UNKNOWN;
}

static char *creator_of(struct parser *p, const char *title)
{
    const char *by = strstr(title, " created by ");
    if (!by)
        return NULL;
    by += strlen(" created by ");
    struct span who = {by, strlen(by)};
    if (span_ends_with(who, " at", 3))
        who.n -= 3;
    return span_dup_or_null(p, span_trim(who));
}

static bool is_create_frame(const struct tl__tsan_frame *f)
{
    size_t n = f->function ? strlen(f->function) : 0;
    return n >= 14 && strcmp(f->function + n - 14, "pthread_create") == 0;
}

/* The frame below the pthread_create frames at the top of a creation stack. */
static char *creator_function_of(struct parser *p, const struct tl__tsan_stack *s)
{
    size_t i = 0;
    while (i < s->nframes && is_create_frame(&s->frames[i]))
        i++;
    if (i == 0 || i == s->nframes || !s->frames[i].function)
        return NULL;
    struct span fn = {s->frames[i].function, strlen(s->frames[i].function)};
    return span_dup(p, fn);
}

static void fill_leak_fields(struct parser *p, struct tl__tsan_finding *r)
{
    for (size_t i = 0; i < r->nstacks; i++) {
        const struct tl__tsan_stack *s = &r->stacks[i];
        if (!is_thread_title(s->title))
            continue;
        r->leak_state = thread_state_of(s->title);
        r->created_by = creator_of(p, s->title);
        r->creator_function = creator_function_of(p, s);
        return;
    }
}

static void close_report(struct parser *p)
{
    struct tl__tsan_finding *r = p->report;
    if (!r)
        return;
    if (strcmp(r->kind, "thread leak") == 0)
        fill_leak_fields(p, r);
    p->report = NULL;
}

/* rest: what follows "WARNING: ThreadSanitizer: ", e.g. "data race (pid=42)". */
static void open_report(struct parser *p, struct span rest)
{
    close_report(p);
    struct tl__tsan_report_set *set = p->set;
    if (!grow_for_one(p, (void **)&set->findings, set->nfindings, sizeof *set->findings))
        return;
    long pid = -1;
    const char *pid_mark = memmem(rest.s, rest.n, " (pid=", 6);
    if (pid_mark) {
        struct span digits = {pid_mark + 6, rest.n - (size_t)(pid_mark + 6 - rest.s)};
        unsigned long value;
        if (span_take_ulong(&digits, &value) && value <= (unsigned long)LONG_MAX)
            pid = (long)value;
        rest.n = (size_t)(pid_mark - rest.s);
    }
    char *kind = span_dup(p, span_trim(rest));
    if (!kind)
        return;
    struct tl__tsan_finding *r = &set->findings[set->nfindings++];
    *r = (struct tl__tsan_finding){.kind = kind, .pid = pid, .count = 1};
    p->report = r;
}

/* "And N more similar thread leaks." */
static bool take_more_leaks(struct parser *p, struct span v)
{
    if (!span_starts_with(v, MORE_LEAKS_MARK, MARK_LEN(MORE_LEAKS_MARK)) ||
        !span_ends_with(v, MORE_LEAKS_TAIL, MARK_LEN(MORE_LEAKS_TAIL)))
        return false;
    struct span digits = {v.s + MARK_LEN(MORE_LEAKS_MARK), v.n - MARK_LEN(MORE_LEAKS_MARK)};
    unsigned long more;
    if (!span_take_ulong(&digits, &more) || more >= ~0U)
        return false;
    p->report->count = 1 + (unsigned)more;
    return true;
}

/* A stack title: indented by TSan, ends with ':' ("  Thread T1 (...) created by main thread at:").
 */
static bool is_title_line(struct span raw, struct span trimmed)
{
    return raw.n >= 2 && raw.s[0] == ' ' && raw.s[1] == ' ' && trimmed.n > 1 &&
           trimmed.s[trimmed.n - 1] == ':';
}

static void report_line(struct parser *p, struct span raw)
{
    struct span v = span_trim(raw);
    const char *summary = span_find(raw, SUMMARY_MARK, MARK_LEN(SUMMARY_MARK));
    if (summary) {
        struct span line = span_trim((struct span){summary, raw.n - (size_t)(summary - raw.s)});
        p->report->summary = span_dup(p, line);
        close_report(p);
    } else if (span_starts_with(v, SEPARATOR, MARK_LEN(SEPARATOR))) {
        close_report(p); /* a report cut short: no SUMMARY before the closing rule */
    } else if (v.n > 1 && v.s[0] == '#' && isdigit((unsigned char)v.s[1])) {
        add_frame(p, v);
    } else if (take_more_leaks(p, v)) {
        /* counted */
    } else if (is_title_line(raw, v)) {
        add_stack(p, (struct span){v.s, v.n - 1});
    }
}

/* "ThreadSanitizer: reported N warnings" (printed once per process at exit). */
static bool take_reported(struct parser *p, struct span raw)
{
    const char *mark = span_find(raw, REPORTED_MARK, MARK_LEN(REPORTED_MARK));
    if (!mark)
        return false;
    struct span digits = {mark + MARK_LEN(REPORTED_MARK),
                          raw.n - (size_t)(mark + MARK_LEN(REPORTED_MARK) - raw.s)};
    unsigned long n;
    if (!span_take_ulong(&digits, &n) || !span_starts_with(digits, " warning", 8))
        return false;
    p->set->reported_warnings += (unsigned)n;
    p->set->reported_lines++;
    return true;
}

/* Finds "==PID==" in v and what follows it. Searched anywhere in the line: when two threads crash
 * at once their output interleaves ("ThreadSanitizer==12==ERROR: ..."). */
static bool find_pid_marker(struct span v, unsigned long *pid, struct span *text)
{
    for (const char *at = v.s;
         (at = span_find((struct span){at, v.n - (size_t)(at - v.s)}, "==", 2)); at++) {
        struct span rest = {at + 2, v.n - (size_t)(at + 2 - v.s)};
        if (span_take_ulong(&rest, pid) && span_starts_with(rest, "==", 2)) {
            *text = span_trim((struct span){rest.s + 2, rest.n - 2});
            return true;
        }
    }
    return false;
}

/* "==PID==text" outside a report. */
static void take_message(struct parser *p, struct span v)
{
    unsigned long pid;
    struct span text;
    if (!find_pid_marker(v, &pid, &text) || pid > (unsigned long)LONG_MAX || text.n == 0)
        return;
    struct tl__tsan_report_set *set = p->set;
    if (!grow_for_one(p, (void **)&set->messages, set->nmessages, sizeof *set->messages))
        return;
    char *copy = span_dup(p, text);
    if (!copy)
        return;
    set->messages[set->nmessages++] = (struct tl__tsan_message){.pid = (long)pid, .text = copy};
}

static void parse_line(struct parser *p, struct span raw)
{
    const char *warning = span_find(raw, WARNING_MARK, MARK_LEN(WARNING_MARK));
    if (warning) {
        const char *rest = warning + MARK_LEN(WARNING_MARK);
        open_report(p, span_trim((struct span){rest, raw.n - (size_t)(rest - raw.s)}));
    } else if (take_reported(p, raw)) {
        /* counted */
    } else if (p->report) {
        report_line(p, raw);
    } else {
        take_message(p, span_trim(raw));
    }
}

int tsan_report_parse(const char *text, size_t len, struct tl__tsan_report_set *out)
{
    memset(out, 0, sizeof *out);
    struct parser p = {.set = out};
    size_t pos = 0;
    while (pos < len && !p.oom) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        parse_line(&p, (struct span){text + pos, end - pos});
        pos = end + 1;
    }
    if (!p.oom)
        close_report(&p); /* output that stops mid-report still yields the finding */
    if (p.oom) {
        tsan_report_set_free(out);
        return -1;
    }
    return (int)out->nfindings;
}

static void finding_free(struct tl__tsan_finding *r)
{
    for (size_t i = 0; i < r->nstacks; i++) {
        for (size_t j = 0; j < r->stacks[i].nframes; j++)
            frame_free(&r->stacks[i].frames[j]);
        free(r->stacks[i].frames);
        free(r->stacks[i].title);
    }
    free(r->stacks);
    free(r->kind);
    free(r->summary);
    free(r->created_by);
    free(r->creator_function);
}

void tsan_report_set_free(struct tl__tsan_report_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->nfindings; i++)
        finding_free(&set->findings[i]);
    free(set->findings);
    for (size_t i = 0; i < set->nmessages; i++)
        free(set->messages[i].text);
    free(set->messages);
    memset(set, 0, sizeof *set);
}

const char *tsan_thread_state_name(enum tl__tsan_thread_state state)
{
    switch (state) {
    case TL_TSAN_THREAD_FINISHED:
        return "finished";
    case TL_TSAN_THREAD_RUNNING:
        return "running";
    case TL_TSAN_THREAD_UNKNOWN:
        break;
    }
    return "unknown";
}
