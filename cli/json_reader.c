/* See json_reader.h. Every accessor is one jansson call: jansson's own getters already answer
 * "absent" for NULL and for the wrong type, which is what lets lookups chain. */
#include "json_reader.h"

#include <jansson.h>
#include <stdio.h>

/* Strict RFC 8259 is jansson's default; these add what reports need (see json_reader.h). */
#define PARSE_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

static const json_t *node(const struct tl__json *v)
{
    return (const json_t *)v;
}

static const struct tl__json *wrap(const json_t *j)
{
    return (const struct tl__json *)j;
}

/* jansson counts lines from 1 but says -1 for errors that have no place (out of memory), and
 * column 0 before the first byte of a line; the message keeps the LINE:COLUMN form regardless. */
static void format_error(const json_error_t *e, char *err, size_t errlen)
{
    if (err == NULL || errlen == 0)
        return;
    snprintf(err, errlen, "%d:%d: %s", e->line > 0 ? e->line : 1, e->column > 0 ? e->column : 1,
             e->text);
}

struct tl__json *tl__json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    json_error_t e;
    json_t *root = json_loadb(text ? text : "", text ? len : 0, PARSE_FLAGS, &e);
    if (root == NULL)
        format_error(&e, err, errlen);
    return (struct tl__json *)root;
}

void tl__json_free(struct tl__json *root)
{
    json_decref((json_t *)root);
}

enum tl__json_type tl__json_type(const struct tl__json *v)
{
    if (v == NULL)
        return TL_JSON_NONE;
    switch (json_typeof(node(v))) {
    case JSON_OBJECT:
        return TL_JSON_OBJECT;
    case JSON_ARRAY:
        return TL_JSON_ARRAY;
    case JSON_STRING:
        return TL_JSON_STRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return TL_JSON_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE:
        return TL_JSON_BOOL;
    case JSON_NULL:
        return TL_JSON_NULL;
    }
    return TL_JSON_NONE;
}

const struct tl__json *tl__json_get(const struct tl__json *v, const char *key)
{
    return wrap(json_object_get(node(v), key));
}

const struct tl__json *tl__json_index(const struct tl__json *v, size_t i)
{
    return wrap(json_array_get(node(v), i));
}

/* jansson keeps an object's members in insertion order, which for a parsed document is the
 * document's; walking to member i is linear, and callers list small objects. */
const struct tl__json *tl__json_member(const struct tl__json *v, size_t i, const char **key)
{
    json_t *object = (json_t *)node(v);
    if (!json_is_object(object))
        return NULL;
    void *it = json_object_iter(object);
    for (; it != NULL && i > 0; i--)
        it = json_object_iter_next(object, it);
    if (it == NULL)
        return NULL;
    if (key)
        *key = json_object_iter_key(it);
    return wrap(json_object_iter_value(it));
}

size_t tl__json_length(const struct tl__json *v)
{
    return json_is_array(node(v)) ? json_array_size(node(v)) : json_object_size(node(v));
}

const char *tl__json_string(const struct tl__json *v)
{
    return json_string_value(node(v));
}

size_t tl__json_string_len(const struct tl__json *v)
{
    return json_string_length(node(v));
}

bool tl__json_get_int64(const struct tl__json *v, int64_t *out)
{
    if (!json_is_integer(node(v)))
        return false;
    *out = json_integer_value(node(v));
    return true;
}

bool tl__json_get_uint64(const struct tl__json *v, uint64_t *out)
{
    if (!json_is_integer(node(v)) || json_integer_value(node(v)) < 0)
        return false;
    *out = (uint64_t)json_integer_value(node(v));
    return true;
}

int64_t tl__json_int(const struct tl__json *v)
{
    return json_integer_value(node(v));
}

double tl__json_number(const struct tl__json *v)
{
    return json_number_value(node(v));
}

bool tl__json_bool(const struct tl__json *v)
{
    return json_is_true(node(v));
}

bool tl__json_is_null(const struct tl__json *v)
{
    return json_is_null(node(v));
}
