/* The one JSON writer of stack frames (stack_model.h), for every document that has them: the exit
 * report (json-schema.md), the thread profile (threads-json-schema.md) and, through the same
 * function, any report parsed into frames.
 *
 * Every frame object has "function", "file", "line" and "module"; each schema picks the members
 * around them. Members come in one order: pc, function, file, line, column, module, offset,
 * inlined. Unknown strings and a line or column of 0 are null. */
#ifndef THREADLEAK_JSON_FRAME_H
#define THREADLEAK_JSON_FRAME_H

#include "json_writer.h"
#include "stack_model.h"

#include <stdbool.h>
#include <stdint.h>

enum json_frame_member {
    JSON_FRAME_PC = 1u << 0,            /* "pc": hex string, "0x55d4c1a2b3c4" */
    JSON_FRAME_COLUMN = 1u << 1,        /* "column": extras->column */
    JSON_FRAME_OFFSET = 1u << 2,        /* "offset": hex string of extras->offset, pc minus the
                                           function's start; null when not offset_known */
    JSON_FRAME_MODULE_OFFSET = 1u << 3, /* "offset": extras->module_offset as a number */
    JSON_FRAME_INLINED = 1u << 4,       /* "inlined": bool */
    JSON_FRAME_NULL_FUNCTION = 1u << 5, /* an unknown function is null, not "??" */
};

/* The members of each schema's frame objects. */
#define JSON_FRAMES_EXIT_REPORT (JSON_FRAME_PC | JSON_FRAME_INLINED)
#define JSON_FRAMES_PROFILE     (JSON_FRAME_PC | JSON_FRAME_OFFSET | JSON_FRAME_INLINED)

/* TSan's parsed frames: no pc, a column, and the offset from the module as TSan printed it. */
#define JSON_FRAMES_TSAN (JSON_FRAME_COLUMN | JSON_FRAME_MODULE_OFFSET | JSON_FRAME_NULL_FUNCTION)

/* What a frame object says that is not the frame's own: where the frame sits in its location
 * (offset), or what a parsed report printed beside it (column, module offset). */
struct json_frame_extras {
    bool offset_known;
    uintptr_t offset;
    unsigned column;        /* 0 when unknown */
    uint64_t module_offset; /* from the module's load base */
};

/* One frame object with the given members (enum json_frame_member); extras may be NULL when none
 * of them is asked for, or when all are unknown. Errors latch in the writer. */
void json_write_frame(struct tl__json_writer *w, const struct tl__frame *frame, unsigned members,
                      const struct json_frame_extras *extras);

/* The frame objects of a location, innermost first (not an array of their own: a stack's
 * locations make one array). The last frame, the function that holds pc, carries the location's
 * offset. */
void json_write_location(struct tl__json_writer *w, const struct tl__location *loc,
                         unsigned members);

#endif
