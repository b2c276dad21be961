/* Streaming, pretty-printing JSON writer. See json_writer.h. */
#include "json_writer.h"

#include "utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put(struct tl__json_writer *w, const char *s, size_t len)
{
    if (len != 0 && fwrite(s, 1, len, w->out) != len)
        w->failed = true;
}

static void put_str(struct tl__json_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void newline_and_indent(struct tl__json_writer *w, int depth)
{
    /* One write per line break: reports have thousands of them. */
    static const char spaces[] =
        "\n                                                                "
        "                                                                ";
    _Static_assert(sizeof spaces >= 1 + 2 * TL_JW_MAX_DEPTH + 1, "indent buffer too short");
    put(w, spaces, 1 + 2 * (size_t)depth);
}

/* Everything that must precede a value or a key: the comma after an earlier member and the
 * line break. A value right after its key goes on the key's line. Returns false on misuse. */
static bool start_item(struct tl__json_writer *w, bool is_key)
{
    if (w->failed)
        return false;
    if (w->done) {
        w->failed = true; /* a second top-level value */
        return false;
    }
    if (w->depth == 0) {
        if (is_key)
            w->failed = true; /* a key outside any object */
        return !is_key;
    }
    bool object = w->in_object[w->depth - 1];
    if (w->key_pending) {
        if (is_key) {
            w->failed = true;
            return false;
        }
        w->key_pending = false;
        return true;
    }
    if (object != is_key) {
        w->failed = true; /* a value without key in an object, or a key in an array */
        return false;
    }
    if (w->has_members[w->depth - 1])
        put(w, ",", 1);
    w->has_members[w->depth - 1] = true;
    newline_and_indent(w, w->depth);
    return true;
}

static void end_item(struct tl__json_writer *w)
{
    if (w->depth == 0)
        w->done = true;
}

static void begin_container(struct tl__json_writer *w, bool object)
{
    if (!start_item(w, false))
        return;
    if (w->depth == TL_JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, object ? "{" : "[", 1);
    w->in_object[w->depth] = object;
    w->has_members[w->depth] = false;
    w->depth++;
}

static void end_container(struct tl__json_writer *w, bool object)
{
    if (w->failed)
        return;
    if (w->depth == 0 || w->in_object[w->depth - 1] != object || w->key_pending) {
        w->failed = true;
        return;
    }
    w->depth--;
    if (w->has_members[w->depth])
        newline_and_indent(w, w->depth);
    put(w, object ? "}" : "]", 1);
    end_item(w);
}

void tl__jw_init(struct tl__json_writer *w, FILE *out)
{
    *w = (struct tl__json_writer){.out = out};
}

void tl__jw_begin_object(struct tl__json_writer *w)
{
    begin_container(w, true);
}

void tl__jw_end_object(struct tl__json_writer *w)
{
    end_container(w, true);
}

void tl__jw_begin_array(struct tl__json_writer *w)
{
    begin_container(w, false);
}

void tl__jw_end_array(struct tl__json_writer *w)
{
    end_container(w, false);
}

/* The short escapes JSON defines; every other control byte becomes \u00XX. DEL is escaped too,
 * so that a report never carries raw terminal control bytes. */
static const char *short_escape(unsigned char c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        return NULL;
    }
}

/* Copies runs of bytes that need no escaping in one write; escapes or repairs the rest. */
static void put_escaped(struct tl__json_writer *w, const unsigned char *s, size_t len)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    size_t run = 0, i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            i++;
            continue;
        }
        int n = c >= 0x80 ? tl__utf8_sequence(s + i, len - i) : 0;
        if (n > 0) {
            i += (size_t)n;
            continue;
        }
        put(w, (const char *)s + run, i - run);
        const char *esc = short_escape(c);
        if (esc != NULL) {
            put_str(w, esc);
        } else if (c < 0x80) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", c);
            put_str(w, buf);
        } else {
            put(w, replacement, sizeof replacement - 1);
        }
        i += n < 0 ? (size_t)-n : 1;
        run = i;
    }
    put(w, (const char *)s + run, i - run);
}

static void put_string_token(struct tl__json_writer *w, const char *s, size_t len)
{
    put(w, "\"", 1);
    put_escaped(w, (const unsigned char *)s, len);
    put(w, "\"", 1);
}

void tl__jw_key(struct tl__json_writer *w, const char *key)
{
    if (key == NULL) {
        w->failed = true;
        return;
    }
    if (!start_item(w, true))
        return;
    put_string_token(w, key, strlen(key));
    put(w, ": ", 2);
    w->key_pending = true;
}

void tl__jw_string_len(struct tl__json_writer *w, const char *s, size_t len)
{
    if (s == NULL) {
        tl__jw_null(w);
        return;
    }
    if (!start_item(w, false))
        return;
    put_string_token(w, s, len);
    end_item(w);
}

void tl__jw_string(struct tl__json_writer *w, const char *s)
{
    tl__jw_string_len(w, s, s != NULL ? strlen(s) : 0);
}

static void put_literal(struct tl__json_writer *w, const char *text)
{
    if (!start_item(w, false))
        return;
    put_str(w, text);
    end_item(w);
}

void tl__jw_int(struct tl__json_writer *w, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    put_literal(w, buf);
}

void tl__jw_uint64(struct tl__json_writer *w, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    put_literal(w, buf);
}

void tl__jw_double(struct tl__json_writer *w, double v)
{
    if (!isfinite(v)) {
        put_literal(w, "null"); /* JSON has no NaN nor infinity */
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.6g", v);
    put_literal(w, buf);
}

void tl__jw_bool(struct tl__json_writer *w, bool v)
{
    put_literal(w, v ? "true" : "false");
}

void tl__jw_null(struct tl__json_writer *w)
{
    put_literal(w, "null");
}

void tl__jw_member_string(struct tl__json_writer *w, const char *key, const char *s)
{
    tl__jw_key(w, key);
    tl__jw_string(w, s);
}

void tl__jw_member_int(struct tl__json_writer *w, const char *key, int64_t v)
{
    tl__jw_key(w, key);
    tl__jw_int(w, v);
}

void tl__jw_member_uint64(struct tl__json_writer *w, const char *key, uint64_t v)
{
    tl__jw_key(w, key);
    tl__jw_uint64(w, v);
}

void tl__jw_member_bool(struct tl__json_writer *w, const char *key, bool v)
{
    tl__jw_key(w, key);
    tl__jw_bool(w, v);
}

int tl__jw_finish(struct tl__json_writer *w)
{
    if (!w->failed && w->done)
        put(w, "\n", 1);
    if (fflush(w->out) != 0 || ferror(w->out))
        w->failed = true;
    return (w->failed || !w->done) ? -1 : 0;
}

char *tl__jw_to_string(void (*write)(struct tl__json_writer *w, const void *ctx), const void *ctx)
{
    char *text = NULL;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    write(&w, ctx);
    int rc = tl__jw_finish(&w);
    if (fclose(out) != 0 || rc != 0) {
        free(text);
        return NULL;
    }
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    return text;
}
