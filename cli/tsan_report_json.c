/* The JSON form of parsed ThreadSanitizer findings (see tsan_report.h): what the CLI gate puts
 * into its merged report and its TSan document. */
#include "tsan_report.h"

#include "json_frame.h"
#include "json_writer.h"

#include <string.h>

/* A parsed frame is a frame of the one stack model plus what TSan printed beside it (a column,
 * the offset in its module), written by the one JSON frame writer. */
void tsan_report_write_frame(struct tl__json_writer *w, const struct tl__tsan_frame *f)
{
    const struct tl__frame frame = {
        .function = f->function,
        .file = f->file,
        .line = (int)f->line,
        .module = f->module,
    };
    const struct json_frame_extras printed = {.column = f->column,
                                              .module_offset = f->module_offset};
    json_write_frame(w, &frame, JSON_FRAMES_TSAN, &printed);
}

static void write_stack(struct tl__json_writer *w, const struct tl__tsan_stack *s)
{
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "title", s->title);
    tl__jw_key(w, "frames");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < s->nframes; i++)
        tsan_report_write_frame(w, &s->frames[i]);
    tl__jw_end_array(w);
    tl__jw_end_object(w);
}

static void write_finding(struct tl__json_writer *w, const struct tl__tsan_finding *r)
{
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "kind", r->kind);
    tl__jw_member_string(w, "summary", r->summary);
    tl__jw_member_int(w, "pid", r->pid);
    tl__jw_member_int(w, "count", r->count);
    if (strcmp(r->kind, "thread leak") == 0) {
        tl__jw_member_string(w, "thread_state", tsan_thread_state_name(r->leak_state));
        tl__jw_member_string(w, "created_by", r->created_by);
        tl__jw_member_string(w, "created_by_function", r->creator_function);
    }
    tl__jw_key(w, "stacks");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < r->nstacks; i++)
        write_stack(w, &r->stacks[i]);
    tl__jw_end_array(w);
    tl__jw_end_object(w);
}

void tsan_report_write_findings(struct tl__json_writer *w, const struct tl__tsan_report_set *set)
{
    tl__jw_begin_array(w);
    for (size_t i = 0; i < set->nfindings; i++)
        write_finding(w, &set->findings[i]);
    tl__jw_end_array(w);
}

void tsan_report_write_messages(struct tl__json_writer *w, const struct tl__tsan_report_set *set)
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

int tsan_report_write_json(FILE *out, const struct tl__tsan_report_set *set)
{
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_key(&w, "tsan_findings");
    tsan_report_write_findings(&w, set);
    tl__jw_key(&w, "tsan_messages");
    tsan_report_write_messages(&w, set);
    tl__jw_member_int(&w, "reported_warnings", set->reported_warnings);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w);
}
