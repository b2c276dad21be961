/* Findings to the schema-1 JSON report. See docs/json-schema.md for every field. */
#include "json_report.h"

#include "atomic_file.h"
#include "json_frame.h"
#include "json_writer.h"
#include "lock_report_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#ifndef THREADLEAK_VERSION_STRING
#define THREADLEAK_VERSION_STRING "0.1.0"
#endif

static void write_stack(struct tl__json_writer *w, const struct tl__frame *frames, size_t depth)
{
    tl__jw_begin_array(w);
    for (size_t i = 0; frames != NULL && i < depth; i++)
        json_write_frame(w, &frames[i], JSON_FRAMES_EXIT_REPORT, NULL);
    tl__jw_end_array(w);
}

/* The per-thread arrays of a group: names, tids, serials, cancelled tids, waits. */
static void write_thread_arrays(struct tl__json_writer *w, const struct tl__leak_group *g)
{
    tl__jw_key(w, "thread_names");
    tl__jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl__jw_string_len(w, g->threads[i].name, strnlen(g->threads[i].name, TL_NAME_MAX));
    tl__jw_end_array(w);

    tl__jw_key(w, "tids");
    tl__jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl__jw_int(w, g->threads[i].tid);
    tl__jw_end_array(w);

    tl__jw_key(w, "serials");
    tl__jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl__jw_uint64(w, g->threads[i].serial);
    tl__jw_end_array(w);

    tl__jw_key(w, "cancelled");
    tl__jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        if (g->threads[i].cancelled)
            tl__jw_int(w, g->threads[i].tid);
    tl__jw_end_array(w);

    tl__jw_key(w, "wait");
    tl__jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl__jw_string_len(w, g->threads[i].wait,
                          strnlen(g->threads[i].wait, sizeof g->threads[i].wait));
    tl__jw_end_array(w);
}

static void write_creator(struct tl__json_writer *w, const struct tl__leak_group *g)
{
    tl__jw_key(w, "created_by");
    tl__jw_begin_object(w);
    tl__jw_key(w, "tid");
    if (g->creator_tid > 0)
        tl__jw_int(w, g->creator_tid);
    else
        tl__jw_null(w);
    tl__jw_key(w, "name");
    tl__jw_string_len(w, g->creator_name, strnlen(g->creator_name, TL_NAME_MAX));
    tl__jw_member_bool(w, "main", g->creator_is_main);
    tl__jw_end_object(w);
}

/* Where the group was created (tl__leak_group.site): what the group is keyed on, and what
 * `threadleak run` groups leaks of several processes by (leak_groups). null without a stack. */
static void write_created_at(struct tl__json_writer *w, const struct tl__leak_group *g)
{
    tl__jw_key(w, "created_at");
    if (g->site == NULL) {
        tl__jw_null(w);
        return;
    }
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "function", g->site->function != NULL ? g->site->function : "??");
    tl__jw_member_string(w, "file", g->site->file);
    tl__jw_key(w, "line");
    if (g->site->file != NULL && g->site->line > 0)
        tl__jw_int(w, g->site->line);
    else
        tl__jw_null(w);
    tl__jw_member_string(w, "module", g->site->module);
    tl__jw_key(w, "offset");
    if (g->site_offset != 0) {
        char hex[2 + 16 + 1];
        snprintf(hex, sizeof hex, "0x%" PRIxPTR, g->site_offset);
        tl__jw_string(w, hex);
    } else {
        tl__jw_null(w);
    }
    tl__jw_end_object(w);
}

static void write_group(struct tl__json_writer *w, const struct tl__leak_group *g)
{
    tl__jw_begin_object(w);
    tl__jw_member_uint64(w, "count", g->count);
    tl__jw_member_string(w, "state", g->state == TL_LEAK_RUNNING ? "running" : "exited");
    tl__jw_member_bool(w, "detached", g->detached);
    tl__jw_member_bool(w, "c11", g->c11);
    tl__jw_member_string(w, "start_routine", g->start_routine != NULL ? g->start_routine : "??");
    tl__jw_member_string(w, "scope", g->scope);
    write_thread_arrays(w, g);
    write_creator(w, g);
    tl__jw_key(w, "creation_stack");
    write_stack(w, g->creation_stack, g->creation_depth);
    write_created_at(w, g);
    /* null, not [], when the live stack is unknown: an empty array would claim a stack was
     * taken and had no frames. */
    tl__jw_key(w, "current_stack");
    if (g->current_stack != NULL && g->current_depth > 0)
        write_stack(w, g->current_stack, g->current_depth);
    else
        tl__jw_null(w);
    /* Why current_stack is null ("signals blocked", "exited", ...), in the words of the
     * endpoint's stack_status; null when live state was not asked for. */
    tl__jw_member_string(w, "stack_status", g->stack_status);
    /* true when current_stack was read from /proc and ends before the thread's first frame */
    tl__jw_member_bool(w, "current_stack_partial", g->current_partial);
    tl__jw_end_object(w);
}

static void write_process(struct tl__json_writer *w, const struct tl__findings *f)
{
    tl__jw_member_int(w, "pid", f->pid);
    tl__jw_member_int(w, "ppid", f->ppid);
    tl__jw_member_string(w, "exe", f->exe);
    tl__jw_key(w, "argv");
    tl__jw_begin_array(w);
    for (char **arg = f->argv; arg != NULL && *arg != NULL; arg++)
        tl__jw_string(w, *arg);
    tl__jw_end_array(w);
    tl__jw_member_string(w, "mode", f->mode != NULL ? f->mode : "all");
    /* Only when set: `threadleak merge` adds a run's --label to reports that have none. */
    if (f->label != NULL)
        tl__jw_member_string(w, "label", f->label);
}

/* Last in the document, so that a reader of a streamed report sees totals only once all leaks
 * were written. */
static void write_summary(struct tl__json_writer *w, const struct tl__findings *f)
{
    tl__jw_key(w, "summary");
    tl__jw_begin_object(w);
    tl__jw_member_uint64(w, "threads_created", f->threads_created);
    tl__jw_member_uint64(w, "leaked", f->leaked);
    tl__jw_member_uint64(w, "suppressed", f->suppressed);
    tl__jw_member_uint64(w, "suppressed_by_default", f->suppressed_by_default);
    tl__jw_end_object(w);
}

/* Which default suppressions took threads out, so that a reader can tell what was left out and
 * why (docs/default-suppressions.md lists each pattern with its reason). */
static void write_default_suppressions(struct tl__json_writer *w, const struct tl__findings *f)
{
    tl__jw_key(w, "default_suppressions");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < f->ndefault_hits; i++) {
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "runtime", f->default_hits[i].runtime);
        tl__jw_member_string(w, "pattern", f->default_hits[i].pattern);
        tl__jw_member_uint64(w, "threads", f->default_hits[i].threads);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

int report_write_json(FILE *out, const struct tl__findings *f)
{
    return report_write_json_ex(out, f, NULL);
}

int report_write_json_ex(FILE *out, const struct tl__findings *f, const char *text_report)
{
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_member_string(&w, "tool", "threadleak");
    tl__jw_member_string(&w, "version", THREADLEAK_VERSION_STRING);
    tl__jw_member_int(&w, "schema", TL_JSON_SCHEMA_VERSION);
    write_process(&w, f);
    tl__jw_key(&w, "leaks");
    tl__jw_begin_array(&w);
    for (size_t i = 0; i < f->ngroups; i++)
        write_group(&w, &f->groups[i]);
    tl__jw_end_array(&w);
    write_default_suppressions(&w, f);
    /* Under the lock module only (docs/locks.md): without it the members are absent, not empty,
     * so that a reader can tell "no lock findings" from "locks not checked". */
    if (f->locks)
        lock_report_json(&w, f->locks);
    /* Present only when it says something: the text report was not written where configured
     * (fd 2 had become one of the program's own files). Absent, everything went as configured. */
    if (text_report)
        tl__jw_member_string(&w, "text_report", text_report);
    write_summary(&w, f);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w);
}

struct json_content {
    const struct tl__findings *f;
    const char *text_report;
};

static int write_json_content(FILE *out, const void *ctx)
{
    const struct json_content *c = ctx;
    return report_write_json_ex(out, c->f, c->text_report);
}

int report_write_json_file_atomic(const char *dir, const struct tl__findings *f, char *path_out,
                                  size_t path_len)
{
    return report_write_json_file_atomic_ex(dir, f, NULL, path_out, path_len);
}

int report_write_json_file_atomic_ex(const char *dir, const struct tl__findings *f,
                                     const char *text_report, char *path_out, size_t path_len)
{
    char name[64];
    snprintf(name, sizeof name, "threadleak.%ld.json", (long)f->pid);
    const struct json_content c = {f, text_report};
    return tl__write_file_atomic(dir, name, write_json_content, &c, path_out, path_len);
}
