/* Findings to the schema-1 JSON report. See docs/json-schema.md for every field. */
#include "json_report.h"

#include "atomic_file.h"
#include "json_writer.h"

#include <inttypes.h>
#include <string.h>

#ifndef THREADLEAK_VERSION_STRING
#define THREADLEAK_VERSION_STRING "0.1.0"
#endif

static void write_frame(struct tl_json_writer *w, const struct tl_frame *frame)
{
    char pc[2 + 16 + 1];
    snprintf(pc, sizeof pc, "0x%" PRIxPTR, frame->pc);
    tl_jw_begin_object(w);
    tl_jw_key(w, "pc");
    tl_jw_string(w, pc);
    tl_jw_key(w, "function");
    tl_jw_string(w, frame->function != NULL ? frame->function : "??");
    tl_jw_key(w, "file");
    tl_jw_string(w, frame->file);
    tl_jw_key(w, "line");
    if (frame->line > 0)
        tl_jw_int(w, frame->line);
    else
        tl_jw_null(w);
    tl_jw_key(w, "module");
    tl_jw_string(w, frame->module);
    tl_jw_key(w, "inlined");
    tl_jw_bool(w, frame->inlined);
    tl_jw_end_object(w);
}

static void write_stack(struct tl_json_writer *w, const struct tl_frame *frames, size_t depth)
{
    tl_jw_begin_array(w);
    for (size_t i = 0; frames != NULL && i < depth; i++)
        write_frame(w, &frames[i]);
    tl_jw_end_array(w);
}

/* The per-thread arrays of a group: names, tids, serials, cancelled tids, waits. */
static void write_thread_arrays(struct tl_json_writer *w, const struct tl_leak_group *g)
{
    tl_jw_key(w, "thread_names");
    tl_jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl_jw_string_len(w, g->threads[i].name, strnlen(g->threads[i].name, TL_NAME_MAX));
    tl_jw_end_array(w);

    tl_jw_key(w, "tids");
    tl_jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl_jw_int(w, g->threads[i].tid);
    tl_jw_end_array(w);

    tl_jw_key(w, "serials");
    tl_jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl_jw_uint64(w, g->threads[i].serial);
    tl_jw_end_array(w);

    tl_jw_key(w, "cancelled");
    tl_jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        if (g->threads[i].cancelled)
            tl_jw_int(w, g->threads[i].tid);
    tl_jw_end_array(w);

    tl_jw_key(w, "wait");
    tl_jw_begin_array(w);
    for (unsigned i = 0; i < g->count; i++)
        tl_jw_string_len(w, g->threads[i].wait,
                         strnlen(g->threads[i].wait, sizeof g->threads[i].wait));
    tl_jw_end_array(w);
}

static void write_creator(struct tl_json_writer *w, const struct tl_leak_group *g)
{
    tl_jw_key(w, "created_by");
    tl_jw_begin_object(w);
    tl_jw_key(w, "tid");
    if (g->creator_tid > 0)
        tl_jw_int(w, g->creator_tid);
    else
        tl_jw_null(w);
    tl_jw_key(w, "name");
    tl_jw_string_len(w, g->creator_name, strnlen(g->creator_name, TL_NAME_MAX));
    tl_jw_key(w, "main");
    tl_jw_bool(w, g->creator_is_main);
    tl_jw_end_object(w);
}

static void write_group(struct tl_json_writer *w, const struct tl_leak_group *g)
{
    tl_jw_begin_object(w);
    tl_jw_key(w, "count");
    tl_jw_uint64(w, g->count);
    tl_jw_key(w, "state");
    tl_jw_string(w, g->state == TL_LEAK_RUNNING ? "running" : "exited");
    tl_jw_key(w, "detached");
    tl_jw_bool(w, g->detached);
    tl_jw_key(w, "c11");
    tl_jw_bool(w, g->c11);
    tl_jw_key(w, "start_routine");
    tl_jw_string(w, g->start_routine != NULL ? g->start_routine : "??");
    tl_jw_key(w, "scope");
    tl_jw_string(w, g->scope);
    write_thread_arrays(w, g);
    write_creator(w, g);
    tl_jw_key(w, "creation_stack");
    write_stack(w, g->creation_stack, g->creation_depth);
    /* null, not [], when the live stack is unknown: an empty array would claim a stack was
     * taken and had no frames. */
    tl_jw_key(w, "current_stack");
    if (g->current_stack != NULL && g->current_depth > 0)
        write_stack(w, g->current_stack, g->current_depth);
    else
        tl_jw_null(w);
    tl_jw_end_object(w);
}

static void write_process(struct tl_json_writer *w, const struct tl_findings *f)
{
    tl_jw_key(w, "pid");
    tl_jw_int(w, f->pid);
    tl_jw_key(w, "ppid");
    tl_jw_int(w, f->ppid);
    tl_jw_key(w, "exe");
    tl_jw_string(w, f->exe);
    tl_jw_key(w, "argv");
    tl_jw_begin_array(w);
    for (char **arg = f->argv; arg != NULL && *arg != NULL; arg++)
        tl_jw_string(w, *arg);
    tl_jw_end_array(w);
    tl_jw_key(w, "mode");
    tl_jw_string(w, f->mode != NULL ? f->mode : "all");
}

/* Last in the document, so that a reader of a streamed report sees totals only once all leaks
 * were written. */
static void write_summary(struct tl_json_writer *w, const struct tl_findings *f)
{
    tl_jw_key(w, "summary");
    tl_jw_begin_object(w);
    tl_jw_key(w, "threads_created");
    tl_jw_uint64(w, f->threads_created);
    tl_jw_key(w, "leaked");
    tl_jw_uint64(w, f->leaked);
    tl_jw_key(w, "suppressed");
    tl_jw_uint64(w, f->suppressed);
    tl_jw_end_object(w);
}

int report_write_json(FILE *out, const struct tl_findings *f)
{
    struct tl_json_writer w;
    tl_jw_init(&w, out);
    tl_jw_begin_object(&w);
    tl_jw_key(&w, "tool");
    tl_jw_string(&w, "threadleak");
    tl_jw_key(&w, "version");
    tl_jw_string(&w, THREADLEAK_VERSION_STRING);
    tl_jw_key(&w, "schema");
    tl_jw_int(&w, TL_JSON_SCHEMA_VERSION);
    write_process(&w, f);
    tl_jw_key(&w, "leaks");
    tl_jw_begin_array(&w);
    for (size_t i = 0; i < f->ngroups; i++)
        write_group(&w, &f->groups[i]);
    tl_jw_end_array(&w);
    write_summary(&w, f);
    tl_jw_end_object(&w);
    return tl_jw_finish(&w);
}

static int write_json_content(FILE *out, const void *ctx)
{
    return report_write_json(out, ctx);
}

int report_write_json_file_atomic(const char *dir, const struct tl_findings *f, char *path_out,
                                  size_t path_len)
{
    char name[64];
    snprintf(name, sizeof name, "threadleak.%ld.json", (long)f->pid);
    return tl_write_file_atomic(dir, name, write_json_content, f, path_out, path_len);
}
