/* Stack frames as JSON objects, one function for every schema that has them. */
#include "json_frame.h"

#include <inttypes.h>
#include <stdio.h>

static void write_hex(struct tl__json_writer *w, uintptr_t v)
{
    char buf[2 + 16 + 1];
    snprintf(buf, sizeof buf, "0x%" PRIxPTR, v);
    tl__jw_string(w, buf);
}

static void write_positive_or_null(struct tl__json_writer *w, const char *key, long long v)
{
    tl__jw_key(w, key);
    if (v > 0)
        tl__jw_int(w, v);
    else
        tl__jw_null(w);
}

static void write_offset(struct tl__json_writer *w, unsigned members,
                         const struct json_frame_extras *x)
{
    if (members & JSON_FRAME_OFFSET) {
        tl__jw_key(w, "offset");
        if (x && x->offset_known)
            write_hex(w, x->offset);
        else
            tl__jw_null(w);
    } else if (members & JSON_FRAME_MODULE_OFFSET) {
        tl__jw_member_uint64(w, "offset", x ? x->module_offset : 0);
    }
}

void json_write_frame(struct tl__json_writer *w, const struct tl__frame *frame, unsigned members,
                      const struct json_frame_extras *extras)
{
    const char *unknown = (members & JSON_FRAME_NULL_FUNCTION) ? NULL : "??";
    tl__jw_begin_object(w);
    if (members & JSON_FRAME_PC) {
        tl__jw_key(w, "pc");
        write_hex(w, frame->pc);
    }
    tl__jw_member_string(w, "function", frame->function != NULL ? frame->function : unknown);
    tl__jw_member_string(w, "file", frame->file);
    write_positive_or_null(w, "line", frame->line);
    if (members & JSON_FRAME_COLUMN)
        write_positive_or_null(w, "column", extras ? extras->column : 0);
    tl__jw_member_string(w, "module", frame->module);
    write_offset(w, members, extras);
    if (members & JSON_FRAME_INLINED) {
        tl__jw_member_bool(w, "inlined", frame->inlined);
    }
    tl__jw_end_object(w);
}

void json_write_location(struct tl__json_writer *w, const struct tl__location *loc,
                         unsigned members)
{
    const struct json_frame_extras at_pc = {.offset_known = loc->offset_known,
                                            .offset = loc->offset};
    for (uint32_t k = 0; k < loc->nframes; k++)
        json_write_frame(w, &loc->frames[k], members, k + 1 == loc->nframes ? &at_pc : NULL);
}
