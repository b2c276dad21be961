/* A small streaming JSON writer over a FILE*, pretty-printed with a 2-space indent.
 *
 * The caller owns the writer (usually on the stack); there is no global state. Calls describe the
 * document in order: begin/end containers, a key before every object member, values. The writer
 * inserts commas, newlines and indentation. Misuse (a value where a key is due, too deep a
 * nesting, unbalanced ends) and write errors latch an error flag that tl__jw_finish reports, so a
 * caller may emit a whole document and check once.
 *
 * Strings are written as valid JSON whatever the input: quotes, backslashes and every control
 * byte are escaped, and bytes that are not well-formed UTF-8 become U+FFFD. Not async-signal-safe
 * (stdio). */
#ifndef THREADLEAK_JSON_WRITER_H
#define THREADLEAK_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TL_JW_MAX_DEPTH 64

struct tl__json_writer {
    FILE *out;
    int depth;                         /* open containers */
    bool in_object[TL_JW_MAX_DEPTH];   /* the container at each depth is an object */
    bool has_members[TL_JW_MAX_DEPTH]; /* something was written in it: next needs a comma */
    bool key_pending;                  /* a key was written; its value comes next */
    bool done;                         /* the top-level value is complete */
    bool failed;                       /* misuse or a write error */
};

void tl__jw_init(struct tl__json_writer *w, FILE *out);

void tl__jw_begin_object(struct tl__json_writer *w);
void tl__jw_end_object(struct tl__json_writer *w);
void tl__jw_begin_array(struct tl__json_writer *w);
void tl__jw_end_array(struct tl__json_writer *w);

/* The name of the next object member. Escaped like any string. */
void tl__jw_key(struct tl__json_writer *w, const char *key);

/* A NUL-terminated string; NULL writes null. */
void tl__jw_string(struct tl__json_writer *w, const char *s);
/* len bytes of s, which may contain NUL bytes (written as \u0000). */
void tl__jw_string_len(struct tl__json_writer *w, const char *s, size_t len);
void tl__jw_int(struct tl__json_writer *w, int64_t v);
void tl__jw_uint64(struct tl__json_writer *w, uint64_t v);
/* A finite number with 6 significant digits ("360", "0.5", "1.2e+06"); NaN and infinities, which
 * JSON cannot say, as null. */
void tl__jw_double(struct tl__json_writer *w, double v);
void tl__jw_bool(struct tl__json_writer *w, bool v);
void tl__jw_null(struct tl__json_writer *w);

/* A whole object member, its key then its value: what most writers write. */
void tl__jw_member_string(struct tl__json_writer *w, const char *key, const char *s);
void tl__jw_member_int(struct tl__json_writer *w, const char *key, int64_t v);
void tl__jw_member_uint64(struct tl__json_writer *w, const char *key, uint64_t v);
void tl__jw_member_bool(struct tl__json_writer *w, const char *key, bool v);

/* Ends the document with a newline and flushes. Returns 0 when exactly one complete top-level
 * value was written without error, -1 otherwise. */
int tl__jw_finish(struct tl__json_writer *w);

/* One JSON value that write writes from ctx, as a malloc'd string without the trailing newline,
 * ready to be nested in another document; NULL when memory runs out or the value is invalid. */
char *tl__jw_to_string(void (*write)(struct tl__json_writer *w, const void *ctx), const void *ctx);

#endif
