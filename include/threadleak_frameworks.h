/* What the test-framework helpers (threadleak_gtest.hpp, threadleak_catch2.hpp, ...) share: one
 * check of a scope, and its report taken apart into the few facts a framework's failure message
 * names: per group of leaked threads, its start routine, where it was created (file:line, so IDEs
 * link it), what it is blocked on and the scope it belongs to. Header-only C, usable from C and
 * C++; the names start with tl_fw_. docs/test-frameworks.md shows the messages.
 *
 * The facts come from the text report (docs/report-format.md), whose layout is part of the
 * documented interface: a block per group starting at column 0, detail lines indented by two,
 * frames as `#N  0xPC FUNCTION  FILE:LINE  (MODULE)`. */
#ifndef THREADLEAK_FRAMEWORKS_H
#define THREADLEAK_FRAMEWORKS_H

#include "threadleak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One group of leaked threads. Strings are malloc'd; NULL (line 0) when the report has none. */
typedef struct tl_fw_group {
    unsigned count;      /* threads in the group */
    char *headline;      /* "1 thread still running, joinable, created by ..." */
    char *start_routine; /* "leaking_worker" */
    char *blocked_in;    /* "futex wait (condition)"; the first wait when there are several */
    char *scope;         /* the scope its threads were created in */
    char *site_function; /* the first creation frame outside the runtime, at site_file:site_line */
    char *site_file;     /* NULL without debug info (build with -g for file:line) */
    int site_line;
} tl_fw_group;

/* The leaks one check found: 0 threads and no groups when it was clean. */
typedef struct tl_fw_result {
    size_t threads;
    size_t ngroups;
    tl_fw_group *groups;
    char *text; /* the whole text report; NULL when clean */
    char *json; /* the same as JSON (docs/json-schema.md); NULL when clean */
} tl_fw_result;

static inline char *tl_fw__dup(const char *s, size_t n)
{
    char *d = (char *)malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* True when line (of length n) starts with prefix. */
static inline int tl_fw__starts(const char *line, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && memcmp(line, prefix, p) == 0;
}

/* Creation frames in the C and C++ runtimes (std::thread::_M_start_thread) or in a system header
 * (std::thread's constructor, inlined into the caller) are not the site a user wants to be sent
 * to: the first frame outside them is. */
static inline int tl_fw__system_frame(const char *file, size_t file_len, const char *module,
                                      size_t module_len)
{
    static const char *const files[] = {"/usr/include/", "/usr/lib/"};
    static const char *const modules[] = {"libc.so", "ld-linux", "libstdc++.so", "libpthread.so",
                                          "libthreadleak"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (tl_fw__starts(file, file_len, files[i]))
            return 1;
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++)
        if (tl_fw__starts(module, module_len, modules[i]))
            return 1;
    return 0;
}

/* The next field of a frame line: up to two blanks or the end. */
static inline const char *tl_fw__field_end(const char *p, const char *end)
{
    while (p < end && !(p[0] == ' ' && p + 1 < end && p[1] == ' '))
        p++;
    return p;
}

/* Reads a frame line `#N  0xPC FUNCTION  FILE:LINE  (MODULE)` (leading blanks already skipped;
 * FILE:LINE is absent without debug info) into g's site, unless the frame is the runtime's.
 * Returns 1 when it did. */
static inline int tl_fw__take_site(tl_fw_group *g, const char *line, size_t n)
{
    const char *end = line + n;
    if (line[0] != '#')
        return 0;
    const char *pc = line + 1; /* "#N" and one or two blanks: "#9  0x...", "#10 0x..." */
    while (pc < end && *pc >= '0' && *pc <= '9')
        pc++;
    while (pc < end && *pc == ' ')
        pc++;
    const char *func = (const char *)memchr(pc, ' ', (size_t)(end - pc)); /* after the PC */
    if (!func)
        return 0;
    func++;
    const char *func_end = tl_fw__field_end(func, end);
    const char *file = NULL, *file_end = NULL, *module = NULL, *module_end = NULL;
    for (const char *f = func_end; f < end;) {
        while (f < end && *f == ' ')
            f++;
        const char *f_end = tl_fw__field_end(f, end);
        if (*f == '(' && !module) {
            module = f + 1;
            module_end = f_end > module && f_end[-1] == ')' ? f_end - 1 : f_end;
        } else if (!file && !module && *f != '[') {
            file = f;
            file_end = f_end;
        }
        f = f_end;
    }
    const char *colon = file_end;
    while (file && colon > file && *colon != ':')
        colon--;
    if (file && colon == file)
        file = NULL; /* no line: not a site to link to */
    if (tl_fw__system_frame(file ? file : "", file ? (size_t)(colon - file) : 0,
                            module ? module : "", module ? (size_t)(module_end - module) : 0))
        return 0;
    g->site_function = tl_fw__dup(func, (size_t)(func_end - func));
    if (file) {
        g->site_file = tl_fw__dup(file, (size_t)(colon - file));
        g->site_line = atoi(colon + 1);
    }
    return 1;
}

/* Appends one line of a group block to the group's facts. in_created: the lines after
 * "created at:" are the creation stack. */
static inline void tl_fw__group_line(tl_fw_group *g, const char *line, size_t n, int *in_created)
{
    while (n > 0 && *line == ' ') {
        line++;
        n--;
    }
    if (tl_fw__starts(line, n, "start routine: ") && !g->start_routine) {
        g->start_routine = tl_fw__dup(line + 15, n - 15);
    } else if (tl_fw__starts(line, n, "blocked in: ") && !g->blocked_in) {
        g->blocked_in = tl_fw__dup(line + 12, n - 12);
    } else if (tl_fw__starts(line, n, "created at:")) {
        *in_created = 1;
    } else if (*in_created && !g->site_function && tl_fw__starts(line, n, "#")) {
        tl_fw__take_site(g, line, n);
    } else if (!tl_fw__starts(line, n, "#")) {
        *in_created = 0;
    }
}

/* Starts a group from its block's first line. */
static inline void tl_fw__group_start(tl_fw_group *g, const char *line, size_t n)
{
    memset(g, 0, sizeof *g);
    g->count = (unsigned)strtoul(line, NULL, 10);
    g->headline = tl_fw__dup(line, n);
    static const char in_scope[] = ", in scope ";
    const char *s = NULL;
    for (const char *p = line; p + sizeof in_scope - 1 <= line + n; p++)
        if (memcmp(p, in_scope, sizeof in_scope - 1) == 0)
            s = p; /* the last one: a scope name may itself contain the words */
    if (s)
        g->scope =
            tl_fw__dup(s + sizeof in_scope - 1, (size_t)(line + n - s) - (sizeof in_scope - 1));
}

/* Takes the text report apart into r->groups. */
static inline void tl_fw__parse(tl_fw_result *r)
{
    size_t cap = 0;
    int in_created = 0;
    for (const char *p = r->text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && p[0] >= '0' && p[0] <= '9') {
            if (r->ngroups == cap) {
                size_t ncap = cap ? 2 * cap : 4;
                tl_fw_group *grown = (tl_fw_group *)realloc(r->groups, ncap * sizeof *grown);
                if (!grown)
                    return;
                r->groups = grown;
                cap = ncap;
            }
            tl_fw__group_start(&r->groups[r->ngroups++], p, n);
            in_created = 0;
        } else if (n > 0 && p[0] == ' ' && r->ngroups > 0) {
            tl_fw__group_line(&r->groups[r->ngroups - 1], p, n, &in_created);
        }
        p += n + (nl != NULL);
    }
}

static inline void tl_fw_result_free(tl_fw_result *r)
{
    for (size_t i = 0; i < r->ngroups; i++) {
        tl_fw_group *g = &r->groups[i];
        free(g->headline);
        free(g->start_routine);
        free(g->blocked_in);
        free(g->scope);
        free(g->site_function);
        free(g->site_file);
    }
    free(r->groups);
    free(r->text);
    free(r->json);
    memset(r, 0, sizeof *r);
}

/* The one-line failure message for group g of a test named test (NULL: "the test program"):
 *   threadleak: test Pool.Leaks leaked 2 threads: start routine pool_worker, created at
 *   /src/pool.h:42 in pool_start, blocked in futex wait (condition)
 * malloc'd; free it with free(). NULL when memory ran out. */
static inline char *tl_fw_message(const char *test, const tl_fw_group *g)
{
    char count[32], line[16];
    snprintf(count, sizeof count, g->count == 1 ? "%u thread" : "%u threads", g->count);
    snprintf(line, sizeof line, "%d", g->site_line);
    const int site = g->site_file != NULL;
    const char *parts[] = {"threadleak: ",
                           test ? "test " : "",
                           test ? test : "the test program",
                           " leaked ",
                           count,
                           ": start routine ",
                           g->start_routine ? g->start_routine : "??",
                           site ? ", created at " : ", created",
                           site ? g->site_file : "",
                           site ? ":" : "",
                           site ? line : "",
                           g->site_function ? " in " : "",
                           g->site_function ? g->site_function : "",
                           g->blocked_in ? ", blocked in " : "",
                           g->blocked_in ? g->blocked_in : ""};
    size_t len = 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        len += strlen(parts[i]);
    char *msg = (char *)malloc(len);
    if (!msg)
        return NULL;
    msg[0] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        strcat(msg, parts[i]);
    return msg;
}

static inline int tl_fw__same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Folds groups that a failure message cannot tell apart (same start routine, creation site, wait
 * and scope: a loop's pthread_create unrolled into two call sites, say) into one, adding their
 * counts, so a test fails once per place that leaked. */
static inline void tl_fw_merge_sites(tl_fw_result *r)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->ngroups; i++) {
        tl_fw_group *g = &r->groups[i];
        size_t j = 0;
        for (; j < kept; j++) {
            tl_fw_group *k = &r->groups[j];
            if (tl_fw__same(k->start_routine, g->start_routine) &&
                tl_fw__same(k->site_file, g->site_file) && k->site_line == g->site_line &&
                tl_fw__same(k->blocked_in, g->blocked_in) && tl_fw__same(k->scope, g->scope))
                break;
        }
        if (j < kept) {
            r->groups[j].count += g->count;
            free(g->headline);
            free(g->start_routine);
            free(g->blocked_in);
            free(g->scope);
            free(g->site_function);
            free(g->site_file);
        } else {
            r->groups[kept++] = *g;
        }
    }
    r->ngroups = kept;
}

/* Checks scope (NULL: every thread) with base's other options (base may be NULL). Fills r, which
 * the caller frees with tl_fw_result_free, and returns the number of leaked threads. */
static inline size_t tl_fw_check(const tl_options *base, const char *scope, tl_fw_result *r)
{
    tl_options o;
    memset(&o, 0, sizeof o);
    if (base)
        o = *base;
    o.scope = scope;
    memset(r, 0, sizeof *r);
    tl_report *rep = tl_find(&o);
    if (!rep)
        return 0;
    r->threads = tl_report_count(rep);
    r->text = tl_report_string(rep, TL_FORMAT_TEXT);
    r->json = tl_report_string(rep, TL_FORMAT_JSON);
    tl_report_free(rep);
    tl_fw__parse(r);
    tl_fw_merge_sites(r);
    return r->threads;
}

#ifdef __cplusplus
}
#endif

#endif
