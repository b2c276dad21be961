/* Parses AddressSanitizer's and LeakSanitizer's text output (see asan_report.h), and writes it as
 * JSON. A line-at-a-time state machine, like tsan_report.c, whose frame parser it shares. */
#include "asan_report.h"

#include "json_writer.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const ERROR_MARKS[] = {"ERROR: AddressSanitizer: ", "ERROR: LeakSanitizer: "};
static const char *const SUMMARY_MARKS[] = {"SUMMARY: AddressSanitizer: ",
                                            "SUMMARY: LeakSanitizer: "};

struct parser {
    struct tl__asan_report_set *set;
    struct tl__asan_finding *report; /* the open report, NULL outside one */
    char *title;                     /* the last line that was neither a frame nor a leak header */
    bool in_stack;                   /* the last line was a frame */
    bool oom;
};

/* A copy of n bytes of s, NUL-terminated; sets p->oom on failure. */
static char *dup_n(struct parser *p, const char *s, size_t n)
{
    char *copy = strndup(s, n);
    if (!copy)
        p->oom = true;
    return copy;
}

/* Room for one more element of an array whose capacity is the next power of two at or above its
 * count (as in tsan_report.c). */
static bool grow_for_one(struct parser *p, void **array, size_t count, size_t elem)
{
    if (count != 0 && (count & (count - 1)) != 0)
        return true;
    void *bigger = realloc(*array, (count ? count * 2 : 1) * elem);
    if (!bigger) {
        p->oom = true;
        return false;
    }
    *array = bigger;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* "==PID==" at the start of s (after blanks): the pid, and s advanced past the marker. */
static bool take_pid_marker(const char **s, size_t *n, long *pid)
{
    const char *v = *s;
    size_t len = *n;
    if (len < 5 || v[0] != '=' || v[1] != '=' || !isdigit((unsigned char)v[2]))
        return false;
    size_t i = 2;
    long value = 0;
    for (; i < len && isdigit((unsigned char)v[i]); i++) {
        if (value > (LONG_MAX - 9) / 10)
            return false;
        value = value * 10 + (v[i] - '0');
    }
    if (i + 1 >= len || v[i] != '=' || v[i + 1] != '=')
        return false;
    *s = v + i + 2;
    *n = len - i - 2;
    *pid = value;
    return true;
}

/* ---- frames ---- */

/* "#N 0xADDR in FUNC SRC (MOD+0xOFF)" -> "#N FUNC SRC (MOD+0xOFF)", the layout tsan_frame_parse
 * reads; "#N 0xADDR (MOD+0xOFF)" -> "#N (MOD+0xOFF)". */
static int parse_asan_frame(struct parser *p, const char *s, size_t n, struct tl__tsan_frame *f)
{
    size_t i = 1;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    if (i == 1 || i + 3 >= n || s[i] != ' ' || s[i + 1] != '0' || s[i + 2] != 'x')
        return 0;
    size_t rest = i + 3;
    while (rest < n && isxdigit((unsigned char)s[rest]))
        rest++;
    if (rest + 4 <= n && memcmp(s + rest, " in ", 4) == 0)
        rest += 4;
    size_t len = i + 1 + (n - rest);
    char *line = malloc(len + 1);
    if (!line) {
        p->oom = true;
        return -1;
    }
    memcpy(line, s, i + 1); /* "#N " */
    memcpy(line + i + 1, s + rest, n - rest);
    line[len] = '\0';
    int rc = tsan_frame_parse(line, len, f);
    free(line);
    if (rc < 0)
        p->oom = true;
    return rc;
}

static bool push_frame(struct parser *p, struct tl__tsan_frame **frames, size_t *nframes,
                       struct tl__tsan_frame *f)
{
    if (!grow_for_one(p, (void **)frames, *nframes, sizeof **frames)) {
        tsan_frame_free(f);
        return false;
    }
    (*frames)[(*nframes)++] = *f;
    return true;
}

/* Allocation functions and the sanitizers' interceptors of them: frames above the caller. */
static bool is_allocator_frame(const char *function)
{
    static const char *const names[] = {"malloc",         "calloc",   "realloc", "reallocarray",
                                        "aligned_alloc",  "memalign", "valloc",  "pvalloc",
                                        "posix_memalign", "strdup",   "strndup", "__strdup"};
    if (!function)
        return true;
    if (strncmp(function, "__interceptor_", 14) == 0 || strncmp(function, "__asan_", 7) == 0 ||
        strncmp(function, "__lsan_", 7) == 0 || strncmp(function, "operator new", 12) == 0)
        return true;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(function, names[i]) == 0)
            return true;
    return false;
}

static void add_frame(struct parser *p, const char *s, size_t n)
{
    struct tl__tsan_frame f;
    if (parse_asan_frame(p, s, n, &f) != 1)
        return;
    struct tl__asan_finding *r = p->report;
    if (r->nleaks > 0 && !p->title) {
        struct tl__asan_leak *leak = &r->leaks[r->nleaks - 1];
        push_frame(p, &leak->frames, &leak->nframes, &f);
    } else {
        bool new_stack = !p->in_stack || r->nstacks == 0 || f.index == 0;
        if (new_stack) {
            if (!grow_for_one(p, (void **)&r->stacks, r->nstacks, sizeof *r->stacks)) {
                tsan_frame_free(&f);
                return;
            }
            char *title = p->title ? p->title : dup_n(p, "", 0);
            p->title = NULL;
            if (!title) {
                tsan_frame_free(&f);
                return;
            }
            r->stacks[r->nstacks++] = (struct tl__tsan_stack){.title = title};
        }
        struct tl__tsan_stack *st = &r->stacks[r->nstacks - 1];
        push_frame(p, &st->frames, &st->nframes, &f);
    }
    p->in_stack = true;
}

/* ---- leaks ---- */

/* "Direct leak of N byte(s) in M object(s) allocated from:" */
static bool take_leak_header(struct parser *p, const char *s, size_t n)
{
    bool direct;
    const char *rest;
    if (n > 15 && strncmp(s, "Direct leak of ", 15) == 0) {
        direct = true;
        rest = s + 15;
    } else if (n > 17 && strncmp(s, "Indirect leak of ", 17) == 0) {
        direct = false;
        rest = s + 17;
    } else {
        return false;
    }
    char buf[160];
    size_t len = n - (size_t)(rest - s);
    if (len >= sizeof buf)
        return false;
    memcpy(buf, rest, len);
    buf[len] = '\0';
    unsigned long bytes, objects;
    if (sscanf(buf, "%lu byte(s) in %lu object(s)", &bytes, &objects) != 2)
        return false;
    struct tl__asan_finding *r = p->report;
    if (!grow_for_one(p, (void **)&r->leaks, r->nleaks, sizeof *r->leaks))
        return true;
    r->leaks[r->nleaks++] =
        (struct tl__asan_leak){.direct = direct, .bytes = bytes, .objects = objects};
    r->leaked_bytes += bytes;
    r->leaked_allocations += objects;
    free(p->title);
    p->title = NULL;
    p->in_stack = false;
    return true;
}

static void finish_leaks(struct parser *p, struct tl__asan_finding *r)
{
    for (size_t i = 0; i < r->nleaks; i++) {
        struct tl__asan_leak *leak = &r->leaks[i];
        for (size_t j = 0; j < leak->nframes && !leak->allocated_by_function; j++) {
            const char *fn = leak->frames[j].function;
            if (!is_allocator_frame(fn))
                leak->allocated_by_function = dup_n(p, fn, strlen(fn));
        }
    }
}

/* ---- reports ---- */

static void close_report(struct parser *p)
{
    if (p->report)
        finish_leaks(p, p->report);
    p->report = NULL;
    free(p->title);
    p->title = NULL;
    p->in_stack = false;
}

/* rest: what follows "ERROR: ", e.g. "AddressSanitizer: heap-use-after-free on address ...". */
static void open_report(struct parser *p, long pid, const char *rest, size_t n)
{
    close_report(p);
    struct tl__asan_report_set *set = p->set;
    if (!grow_for_one(p, (void **)&set->findings, set->nfindings, sizeof *set->findings))
        return;
    const char *colon = memchr(rest, ':', n);
    const char *kind = colon + 2;
    size_t kind_len = n - (size_t)(kind - rest);
    const char *on = memmem(kind, kind_len, " on ", 4);
    if (on)
        kind_len = (size_t)(on - kind);
    struct tl__asan_finding r = {
        .tool = dup_n(p, rest, (size_t)(colon - rest)),
        .kind = dup_n(p, kind, kind_len),
        .description = dup_n(p, rest, n),
        .pid = pid,
    };
    set->findings[set->nfindings++] = r;
    p->report = &set->findings[set->nfindings - 1];
}

static void add_message(struct parser *p, long pid, const char *s, size_t n)
{
    if (n == 0 || (n == 8 && memcmp(s, "ABORTING", 8) == 0))
        return;
    struct tl__asan_report_set *set = p->set;
    if (!grow_for_one(p, (void **)&set->messages, set->nmessages, sizeof *set->messages))
        return;
    char *text = dup_n(p, s, n);
    if (text)
        set->messages[set->nmessages++] = (struct tl__tsan_message){.pid = pid, .text = text};
}

static const char *find_mark(const char *s, size_t n, const char *const marks[2])
{
    for (int i = 0; i < 2; i++) {
        const char *at = memmem(s, n, marks[i], strlen(marks[i]));
        if (at)
            return at;
    }
    return NULL;
}

static void report_line(struct parser *p, const char *s, size_t n)
{
    const char *summary = find_mark(s, n, SUMMARY_MARKS);
    if (summary) {
        p->report->summary = dup_n(p, summary, n - (size_t)(summary - s));
        close_report(p);
    } else if (n > 1 && s[0] == '#' && isdigit((unsigned char)s[1])) {
        add_frame(p, s, n);
    } else if (take_leak_header(p, s, n)) {
        /* a new leak */
    } else if (n > 0 && strncmp(s, "====", 4) != 0) {
        /* The line before a stack is its title ("freed by thread T0 here:"). */
        free(p->title);
        p->title = dup_n(p, s, n > 1 && s[n - 1] == ':' ? n - 1 : n);
        p->in_stack = false;
    }
}

static void parse_line(struct parser *p, const char *s, size_t n)
{
    trim(&s, &n);
    const char *error = find_mark(s, n, ERROR_MARKS);
    long pid = -1;
    if (error) {
        const char *at = memmem(s, (size_t)(error - s), "==", 2);
        size_t m = at ? n - (size_t)(at - s) : 0;
        if (at)
            take_pid_marker(&at, &m, &pid);
        const char *rest = error + strlen("ERROR: ");
        open_report(p, pid, rest, n - (size_t)(rest - s));
    } else if (p->report) {
        report_line(p, s, n);
    } else if (take_pid_marker(&s, &n, &pid)) {
        trim(&s, &n);
        add_message(p, pid, s, n);
    }
}

int asan_report_parse(const char *text, size_t len, struct tl__asan_report_set *out)
{
    memset(out, 0, sizeof *out);
    struct parser p = {.set = out};
    for (size_t pos = 0; pos < len && !p.oom;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        parse_line(&p, text + pos, end - pos);
        pos = end + 1;
    }
    close_report(&p); /* output that stops mid-report still yields the finding */
    if (p.oom) {
        asan_report_set_free(out);
        return -1;
    }
    return (int)out->nfindings;
}

static void frames_free(struct tl__tsan_frame *frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tsan_frame_free(&frames[i]);
    free(frames);
}

static void finding_free(struct tl__asan_finding *f)
{
    for (size_t i = 0; i < f->nleaks; i++) {
        frames_free(f->leaks[i].frames, f->leaks[i].nframes);
        free(f->leaks[i].allocated_by_function);
    }
    free(f->leaks);
    for (size_t i = 0; i < f->nstacks; i++) {
        frames_free(f->stacks[i].frames, f->stacks[i].nframes);
        free(f->stacks[i].title);
    }
    free(f->stacks);
    free(f->tool);
    free(f->kind);
    free(f->description);
    free(f->summary);
}

void asan_report_set_free(struct tl__asan_report_set *set)
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

bool asan_finding_is_leak_report(const struct tl__asan_finding *f)
{
    return f->tool && strcmp(f->tool, "LeakSanitizer") == 0;
}

/* ---- JSON ---- */

static void write_frames(struct tl__json_writer *w, const struct tl__tsan_frame *frames, size_t n)
{
    tl__jw_key(w, "frames");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < n; i++)
        tsan_report_write_frame(w, &frames[i]);
    tl__jw_end_array(w);
}

static void write_finding(struct tl__json_writer *w, const struct tl__asan_finding *f)
{
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "tool", f->tool);
    tl__jw_member_string(w, "kind", f->kind);
    tl__jw_member_string(w, "description", f->description);
    tl__jw_member_int(w, "pid", f->pid);
    tl__jw_member_string(w, "summary", f->summary);
    tl__jw_member_int(w, "leaked_bytes", (long long)f->leaked_bytes);
    tl__jw_member_int(w, "leaked_allocations", (long long)f->leaked_allocations);
    tl__jw_key(w, "leaks");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < f->nleaks; i++) {
        const struct tl__asan_leak *l = &f->leaks[i];
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "type", l->direct ? "direct" : "indirect");
        tl__jw_member_int(w, "bytes", (long long)l->bytes);
        tl__jw_member_int(w, "objects", (long long)l->objects);
        tl__jw_member_string(w, "allocated_by_function", l->allocated_by_function);
        write_frames(w, l->frames, l->nframes);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
    tl__jw_key(w, "stacks");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < f->nstacks; i++) {
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "title", f->stacks[i].title);
        write_frames(w, f->stacks[i].frames, f->stacks[i].nframes);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
    tl__jw_end_object(w);
}

void asan_report_write_findings(struct tl__json_writer *w, const struct tl__asan_report_set *set)
{
    tl__jw_begin_array(w);
    for (size_t i = 0; i < set->nfindings; i++)
        write_finding(w, &set->findings[i]);
    tl__jw_end_array(w);
}

void asan_report_write_messages(struct tl__json_writer *w, const struct tl__asan_report_set *set)
{
    tl__jw_begin_array(w);
    for (size_t i = 0; i < set->nmessages; i++) {
        tl__jw_begin_object(w);
        tl__jw_member_int(w, "pid", set->messages[i].pid);
        tl__jw_member_string(w, "text", set->messages[i].text);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}
