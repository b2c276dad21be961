/* Reading JSON in the CLI, and in the tests that check what the shim and the CLI write: jansson
 * underneath, behind a few accessors that keep the callers short.
 *
 * Why jansson (Debian's libjansson-dev) and not a parser of our own, nor json-c: a small, stable,
 * documented API that is widely used; strict by default (RFC 8259: no comments, trailing commas,
 * leading zeros, raw control characters, ill-formed UTF-8 or lone surrogates; numbers that
 * overflow a double are errors); integers kept exactly, as 64-bit values, apart from reals. On
 * top, tl__json_parse rejects duplicate keys, takes any value at the top, and keeps \u0000.
 *
 * What the accessors add: NULL in, "absent" out (NULL, 0, false) everywhere, so that lookups chain
 * (tl__json_string(tl__json_get(tl__json_index(leaks, 0), "state"))); integer reads that say
 * whether the value was an integer at all; and errors as one "LINE:COLUMN: message" string.
 * Integers must fit int64_t: jansson refuses larger ones ("too big integer") rather than rounding
 * them. No report writes such a value: its unsigned fields are counts, serials and offsets.
 * Not async-signal-safe. */
#ifndef THREADLEAK_CLI_JSON_READER_H
#define THREADLEAK_CLI_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tl__json_type {
    TL_JSON_NONE, /* what tl__json_type says of a NULL node */
    TL_JSON_NULL,
    TL_JSON_BOOL,
    TL_JSON_NUMBER,
    TL_JSON_STRING,
    TL_JSON_ARRAY,
    TL_JSON_OBJECT,
};

/* A node of the tree; a jansson json_t, kept opaque so that callers need not include jansson.h. */
struct tl__json;

/* Parses len bytes of text (NUL bytes inside are an error, not an end; NULL text is empty).
 * Returns the root, or NULL with a message in err (always NUL-terminated when errlen > 0; err may
 * be NULL). */
struct tl__json *tl__json_parse(const char *text, size_t len, char *err, size_t errlen);

/* Frees a tree returned by tl__json_parse, with every node and string in it. NULL is fine. */
void tl__json_free(struct tl__json *root);

enum tl__json_type tl__json_type(const struct tl__json *v);

/* The member named key of an object (NULL when v is no object or has no such member). */
const struct tl__json *tl__json_get(const struct tl__json *v, const char *key);
/* Element i of an array (NULL when v is no array or i is out of range). */
const struct tl__json *tl__json_index(const struct tl__json *v, size_t i);
/* Member i of an object in document order, its name in *key (NULL when out of range). */
const struct tl__json *tl__json_member(const struct tl__json *v, size_t i, const char **key);
/* Elements of an array or members of an object; 0 for anything else. */
size_t tl__json_length(const struct tl__json *v);

/* The decoded string (NUL-terminated UTF-8), or NULL when v is no string. A string may contain
 * \u0000; tl__json_string_len gives its full length in bytes. */
const char *tl__json_string(const struct tl__json *v);
size_t tl__json_string_len(const struct tl__json *v);

/* Integers: true with the exact value when v is a number written without fraction or exponent
 * that fits the type. */
bool tl__json_get_int64(const struct tl__json *v, int64_t *out);
bool tl__json_get_uint64(const struct tl__json *v, uint64_t *out);
/* Shorthand: the int64 value, or 0 when tl__json_get_int64 would fail. */
int64_t tl__json_int(const struct tl__json *v);
/* Any number as a double (0 when v is no number). */
double tl__json_number(const struct tl__json *v);
/* true only for the literal true. */
bool tl__json_bool(const struct tl__json *v);
bool tl__json_is_null(const struct tl__json *v);

#endif
