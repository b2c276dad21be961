/* Strict recursive-descent JSON parser building a tree. See json_reader.h. */
#include "json_reader.h"

#include "utf8.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tl__json_member {
    char *key;
    size_t key_len;
    struct tl__json *value;
};

struct tl__json {
    enum tl__json_type type;
    union {
        bool boolean;
        struct {
            double value;
            int64_t i64;
            uint64_t u64;
            bool has_i64, has_u64;
        } number;
        struct {
            char *bytes;
            size_t len;
        } string;
        struct {
            struct tl__json **items;
            size_t count;
        } array;
        struct {
            struct tl__json_member *members;
            size_t count;
        } object;
    };
};

struct parser {
    const unsigned char *text;
    size_t len;
    size_t pos;
    int depth;
    bool failed;
    char *err;
    size_t errlen;
    locale_t c_locale; /* strtod must not follow the host's LC_NUMERIC; created on first use */
};

/* ---- errors ---- */

static void position_of(const struct parser *p, size_t at, size_t *line, size_t *column)
{
    size_t line_start = 0;
    *line = 1;
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->text[i] == '\n') {
            (*line)++;
            line_start = i + 1;
        }
    }
    *column = at - line_start + 1;
}

/* Records the first error only: later ones are consequences of it. */
__attribute__((format(printf, 3, 4))) static void fail_at(struct parser *p, size_t at,
                                                          const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (p->err == NULL || p->errlen == 0)
        return;
    size_t line, column;
    position_of(p, at, &line, &column);
    int n = snprintf(p->err, p->errlen, "%zu:%zu: ", line, column);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* What sits at pos, for messages: 'x', byte 0xNN, or end of input. */
static const char *describe_here(const struct parser *p, char buf[16])
{
    if (p->pos >= p->len)
        return "end of input";
    unsigned char c = p->text[p->pos];
    if (c >= 0x21 && c < 0x7F)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static void fail_expected(struct parser *p, const char *what)
{
    char buf[16];
    fail_at(p, p->pos, "expected %s but found %s", what, describe_here(p, buf));
}

/* ---- nodes ---- */

static struct tl__json *new_node(struct parser *p, enum tl__json_type type)
{
    struct tl__json *v = calloc(1, sizeof *v);
    if (v == NULL)
        fail_at(p, p->pos, "out of memory");
    else
        v->type = type;
    return v;
}

void tl__json_free(struct tl__json *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case TL_JSON_STRING:
        free(v->string.bytes);
        break;
    case TL_JSON_ARRAY:
        for (size_t i = 0; i < v->array.count; i++)
            tl__json_free(v->array.items[i]);
        free(v->array.items);
        break;
    case TL_JSON_OBJECT:
        for (size_t i = 0; i < v->object.count; i++) {
            free(v->object.members[i].key);
            tl__json_free(v->object.members[i].value);
        }
        free(v->object.members);
        break;
    default:
        break;
    }
    free(v);
}

/* Makes room for one more element in a doubling array. */
static bool grow(struct parser *p, void **items, size_t count, size_t *capacity, size_t size)
{
    if (count < *capacity)
        return true;
    size_t next = *capacity ? *capacity * 2 : 4;
    void *bigger = next <= SIZE_MAX / size ? realloc(*items, next * size) : NULL;
    if (bigger == NULL) {
        fail_at(p, p->pos, "out of memory");
        return false;
    }
    *items = bigger;
    *capacity = next;
    return true;
}

/* ---- lexical helpers ---- */

static void skip_whitespace(struct parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool at(const struct parser *p, unsigned char c)
{
    return p->pos < p->len && p->text[p->pos] == c;
}

static bool is_digit_at(const struct parser *p, size_t i)
{
    return i < p->len && p->text[i] >= '0' && p->text[i] <= '9';
}

static struct tl__json *parse_value(struct parser *p);

/* ---- literals ---- */

static struct tl__json *parse_literal(struct parser *p)
{
    static const struct {
        const char *word;
        enum tl__json_type type;
        bool value;
    } literals[] = {
        {"true", TL_JSON_BOOL, true},
        {"false", TL_JSON_BOOL, false},
        {"null", TL_JSON_NULL, false},
    };
    for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        size_t n = strlen(literals[i].word);
        if (p->len - p->pos >= n && memcmp(p->text + p->pos, literals[i].word, n) == 0) {
            struct tl__json *v = new_node(p, literals[i].type);
            if (v != NULL)
                v->boolean = literals[i].value;
            p->pos += n;
            return v;
        }
    }
    fail_expected(p, "a value");
    return NULL;
}

/* ---- numbers ---- */

/* Checks the RFC 8259 number grammar from pos; returns false with an error when it is broken.
 * *integral says whether there was neither fraction nor exponent. */
static bool scan_number(struct parser *p, bool *integral)
{
    size_t i = p->pos;
    if (p->text[i] == '-')
        i++;
    if (!is_digit_at(p, i)) {
        p->pos = i;
        fail_expected(p, "a digit");
        return false;
    }
    if (p->text[i] == '0' && is_digit_at(p, i + 1)) {
        fail_at(p, i, "leading zeros are not allowed in numbers");
        return false;
    }
    while (is_digit_at(p, i))
        i++;
    *integral = true;
    if (i < p->len && p->text[i] == '.') {
        *integral = false;
        if (!is_digit_at(p, ++i)) {
            p->pos = i;
            fail_expected(p, "a digit after the decimal point");
            return false;
        }
        while (is_digit_at(p, i))
            i++;
    }
    if (i < p->len && (p->text[i] == 'e' || p->text[i] == 'E')) {
        *integral = false;
        i++;
        if (i < p->len && (p->text[i] == '+' || p->text[i] == '-'))
            i++;
        if (!is_digit_at(p, i)) {
            p->pos = i;
            fail_expected(p, "a digit in the exponent");
            return false;
        }
        while (is_digit_at(p, i))
            i++;
    }
    p->pos = i;
    return true;
}

/* Exact integer value of a literal with no fraction or exponent, when it fits. */
static void exact_integer(const unsigned char *s, size_t n, struct tl__json *v)
{
    bool negative = s[0] == '-';
    uint64_t magnitude = 0;
    for (size_t i = negative; i < n; i++) {
        unsigned digit = (unsigned)(s[i] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10)
            return; /* beyond uint64: a double only */
        magnitude = magnitude * 10 + digit;
    }
    if (!negative) {
        v->number.u64 = magnitude;
        v->number.has_u64 = true;
        if (magnitude <= (uint64_t)INT64_MAX) {
            v->number.i64 = (int64_t)magnitude;
            v->number.has_i64 = true;
        }
    } else if (magnitude <= (uint64_t)INT64_MAX + 1) {
        v->number.i64 = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
        v->number.has_i64 = true;
        if (magnitude == 0) {
            v->number.u64 = 0; /* -0 is still zero */
            v->number.has_u64 = true;
        }
    }
}

static bool to_double(struct parser *p, const unsigned char *s, size_t n, double *out)
{
    if (p->c_locale == (locale_t)0) {
        p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (p->c_locale == (locale_t)0) {
            fail_at(p, p->pos, "cannot create the C locale");
            return false;
        }
    }
    char small[64];
    char *copy = n < sizeof small ? small : malloc(n + 1);
    if (copy == NULL) {
        fail_at(p, p->pos, "out of memory");
        return false;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    *out = strtod_l(copy, NULL, p->c_locale);
    if (copy != small)
        free(copy);
    return true;
}

static struct tl__json *parse_number(struct parser *p)
{
    size_t start = p->pos;
    bool integral;
    if (!scan_number(p, &integral))
        return NULL;
    const unsigned char *s = p->text + start;
    size_t n = p->pos - start;
    double d;
    if (!to_double(p, s, n, &d))
        return NULL;
    if (isinf(d)) {
        fail_at(p, start, "number out of range");
        return NULL;
    }
    struct tl__json *v = new_node(p, TL_JSON_NUMBER);
    if (v == NULL)
        return NULL;
    v->number.value = d;
    if (integral)
        exact_integer(s, n, v);
    return v;
}

/* ---- strings ---- */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The four hex digits from i, without reporting anything. */
static bool hex4_at(const struct parser *p, size_t i, uint32_t *unit)
{
    *unit = 0;
    for (size_t k = i; k < i + 4; k++) {
        int h = k < p->len ? hex_value(p->text[k]) : -1;
        if (h < 0)
            return false;
        *unit = *unit * 16 + (uint32_t)h;
    }
    return true;
}

static bool is_low_surrogate_escape(const struct parser *p, size_t pos, uint32_t *low)
{
    return pos + 1 < p->len && p->text[pos] == '\\' && p->text[pos + 1] == 'u' &&
           hex4_at(p, pos + 2, low) && *low >= 0xDC00 && *low <= 0xDFFF;
}

/* Decodes the \u escape whose backslash is at pos (a surrogate pair takes two) into *cp.
 * Returns the input bytes it spans, 0 on error. */
static size_t decode_u_escape(struct parser *p, size_t pos, uint32_t *cp)
{
    uint32_t unit, low;
    if (!hex4_at(p, pos + 2, &unit)) {
        fail_at(p, pos, "expected 4 hex digits after \\u");
        return 0;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
        fail_at(p, pos, "lone low surrogate \\u%04X", (unsigned)unit);
        return 0;
    }
    if (unit < 0xD800 || unit > 0xDBFF) {
        *cp = unit;
        return 6;
    }
    if (!is_low_surrogate_escape(p, pos + 6, &low)) {
        fail_at(p, pos, "high surrogate \\u%04X not followed by a low surrogate", (unsigned)unit);
        return 0;
    }
    *cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    return 12;
}

/* A simple escape's byte (\" \\ \/ \b \f \n \r \t), or -1. */
static int simple_escape(unsigned char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return -1;
    }
}

/* Decoding never grows a string, so the raw span up to the closing quote bounds the buffer. */
static size_t raw_string_extent(const struct parser *p, size_t from)
{
    size_t i = from;
    while (i < p->len && p->text[i] != '"')
        i += p->text[i] == '\\' ? 2 : 1;
    return (i < p->len ? i : p->len) - from;
}

/* Decodes one escape at pos into out; returns the input bytes consumed, 0 on error. */
static size_t decode_escape(struct parser *p, size_t pos, char *out, size_t *written)
{
    if (pos + 1 >= p->len) {
        fail_at(p, pos + 1, "unterminated string");
        return 0;
    }
    int simple = simple_escape(p->text[pos + 1]);
    if (simple >= 0) {
        out[(*written)++] = (char)simple;
        return 2;
    }
    if (p->text[pos + 1] != 'u') {
        char buf[16];
        p->pos = pos + 1;
        fail_at(p, pos, "invalid escape: backslash followed by %s", describe_here(p, buf));
        return 0;
    }
    uint32_t cp;
    size_t used = decode_u_escape(p, pos, &cp);
    if (used != 0)
        *written += tl__utf8_encode(cp, out + *written);
    return used;
}

/* Parses the string whose opening quote is at pos into a fresh NUL-terminated buffer. */
static bool parse_string_bytes(struct parser *p, char **bytes, size_t *len)
{
    size_t i = ++p->pos;
    char *out = malloc(raw_string_extent(p, i) + 1);
    size_t n = 0;
    if (out == NULL) {
        fail_at(p, i, "out of memory");
        return false;
    }
    while (!p->failed) {
        if (i >= p->len) {
            fail_at(p, i, "unterminated string");
            break;
        }
        unsigned char c = p->text[i];
        if (c == '"') {
            out[n] = '\0';
            p->pos = i + 1;
            *bytes = out;
            *len = n;
            return true;
        }
        if (c < 0x20) {
            fail_at(p, i, "control character 0x%02x in string must be escaped", c);
        } else if (c == '\\') {
            i += decode_escape(p, i, out, &n);
        } else if (c < 0x80) {
            out[n++] = (char)c;
            i++;
        } else {
            int seq = tl__utf8_sequence(p->text + i, p->len - i);
            if (seq < 0) {
                fail_at(p, i, "invalid UTF-8 byte 0x%02x in string", c);
                continue;
            }
            memcpy(out + n, p->text + i, (size_t)seq);
            n += (size_t)seq;
            i += (size_t)seq;
        }
    }
    free(out);
    return false;
}

static struct tl__json *parse_string(struct parser *p)
{
    char *bytes;
    size_t len;
    if (!parse_string_bytes(p, &bytes, &len))
        return NULL;
    struct tl__json *v = new_node(p, TL_JSON_STRING);
    if (v == NULL) {
        free(bytes);
        return NULL;
    }
    v->string.bytes = bytes;
    v->string.len = len;
    return v;
}

/* ---- containers ---- */

static bool enter_container(struct parser *p)
{
    if (p->depth == TL_JSON_MAX_DEPTH) {
        fail_at(p, p->pos, "nesting deeper than %d levels", TL_JSON_MAX_DEPTH);
        return false;
    }
    p->depth++;
    p->pos++; /* the opening bracket */
    skip_whitespace(p);
    return true;
}

/* After an element: true to go on with the next one, false at the closing bracket or on error. */
static bool next_element(struct parser *p, unsigned char close, const char *expected)
{
    skip_whitespace(p);
    if (at(p, ',')) {
        p->pos++;
        skip_whitespace(p);
        if (at(p, close)) {
            fail_at(p, p->pos, "trailing comma before '%c'", close);
            return false;
        }
        return true;
    }
    if (!at(p, close))
        fail_expected(p, expected);
    return false;
}

static struct tl__json *parse_array(struct parser *p)
{
    if (!enter_container(p))
        return NULL;
    struct tl__json *v = new_node(p, TL_JSON_ARRAY);
    size_t capacity = 0;
    if (v != NULL && !at(p, ']')) {
        do {
            if (!grow(p, (void **)&v->array.items, v->array.count, &capacity,
                      sizeof *v->array.items))
                break;
            struct tl__json *item = parse_value(p);
            if (item == NULL)
                break;
            v->array.items[v->array.count++] = item;
        } while (next_element(p, ']', "',' or ']' after an array element"));
    }
    p->depth--;
    if (p->failed) {
        tl__json_free(v);
        return NULL;
    }
    p->pos++; /* ']' */
    return v;
}

static bool has_key(const struct tl__json *object, const char *key, size_t len)
{
    for (size_t i = 0; i < object->object.count; i++) {
        const struct tl__json_member *m = &object->object.members[i];
        if (m->key_len == len && memcmp(m->key, key, len) == 0)
            return true;
    }
    return false;
}

/* One "key": value pair, appended to object. */
static bool parse_member(struct parser *p, struct tl__json *object, size_t *capacity)
{
    if (!at(p, '"')) {
        fail_expected(p, "a string key");
        return false;
    }
    size_t key_pos = p->pos;
    char *key;
    size_t key_len;
    if (!parse_string_bytes(p, &key, &key_len))
        return false;
    if (has_key(object, key, key_len)) {
        fail_at(p, key_pos, "duplicate key \"%.40s\"", key);
        free(key);
        return false;
    }
    skip_whitespace(p);
    if (!at(p, ':')) {
        fail_expected(p, "':' after an object key");
        free(key);
        return false;
    }
    p->pos++;
    struct tl__json *value = NULL;
    if (grow(p, (void **)&object->object.members, object->object.count, capacity,
             sizeof *object->object.members))
        value = parse_value(p);
    if (value == NULL) {
        free(key);
        return false;
    }
    object->object.members[object->object.count++] =
        (struct tl__json_member){.key = key, .key_len = key_len, .value = value};
    return true;
}

static struct tl__json *parse_object(struct parser *p)
{
    if (!enter_container(p))
        return NULL;
    struct tl__json *v = new_node(p, TL_JSON_OBJECT);
    size_t capacity = 0;
    if (v != NULL && !at(p, '}')) {
        while (parse_member(p, v, &capacity) &&
               next_element(p, '}', "',' or '}' after an object member"))
            ;
    }
    p->depth--;
    if (p->failed) {
        tl__json_free(v);
        return NULL;
    }
    p->pos++; /* '}' */
    return v;
}

/* ---- values ---- */

static struct tl__json *parse_value(struct parser *p)
{
    skip_whitespace(p);
    if (p->pos >= p->len) {
        fail_expected(p, "a value");
        return NULL;
    }
    unsigned char c = p->text[p->pos];
    if (c == '{')
        return parse_object(p);
    if (c == '[')
        return parse_array(p);
    if (c == '"')
        return parse_string(p);
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    return parse_literal(p);
}

struct tl__json *tl__json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    struct parser p = {
        .text = (const unsigned char *)(text != NULL ? text : ""),
        .len = text != NULL ? len : 0,
        .err = err,
        .errlen = errlen,
    };
    struct tl__json *root = parse_value(&p);
    if (root != NULL) {
        skip_whitespace(&p);
        if (p.pos < p.len) {
            char buf[16];
            fail_at(&p, p.pos, "unexpected %s after the JSON value", describe_here(&p, buf));
            tl__json_free(root);
            root = NULL;
        }
    }
    if (p.c_locale != (locale_t)0)
        freelocale(p.c_locale);
    return root;
}

/* ---- accessors ---- */

enum tl__json_type tl__json_type(const struct tl__json *v)
{
    return v != NULL ? v->type : TL_JSON_NONE;
}

const struct tl__json *tl__json_get(const struct tl__json *v, const char *key)
{
    if (v == NULL || v->type != TL_JSON_OBJECT || key == NULL)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < v->object.count; i++) {
        const struct tl__json_member *m = &v->object.members[i];
        if (m->key_len == len && memcmp(m->key, key, len) == 0)
            return m->value;
    }
    return NULL;
}

const struct tl__json *tl__json_index(const struct tl__json *v, size_t i)
{
    if (v == NULL || v->type != TL_JSON_ARRAY || i >= v->array.count)
        return NULL;
    return v->array.items[i];
}

const struct tl__json *tl__json_member(const struct tl__json *v, size_t i, const char **key)
{
    if (v == NULL || v->type != TL_JSON_OBJECT || i >= v->object.count)
        return NULL;
    if (key != NULL)
        *key = v->object.members[i].key;
    return v->object.members[i].value;
}

size_t tl__json_length(const struct tl__json *v)
{
    if (v == NULL)
        return 0;
    if (v->type == TL_JSON_ARRAY)
        return v->array.count;
    if (v->type == TL_JSON_OBJECT)
        return v->object.count;
    return 0;
}

const char *tl__json_string(const struct tl__json *v)
{
    return v != NULL && v->type == TL_JSON_STRING ? v->string.bytes : NULL;
}

size_t tl__json_string_len(const struct tl__json *v)
{
    return v != NULL && v->type == TL_JSON_STRING ? v->string.len : 0;
}

bool tl__json_get_int64(const struct tl__json *v, int64_t *out)
{
    if (v == NULL || v->type != TL_JSON_NUMBER || !v->number.has_i64)
        return false;
    *out = v->number.i64;
    return true;
}

bool tl__json_get_uint64(const struct tl__json *v, uint64_t *out)
{
    if (v == NULL || v->type != TL_JSON_NUMBER || !v->number.has_u64)
        return false;
    *out = v->number.u64;
    return true;
}

int64_t tl__json_int(const struct tl__json *v)
{
    int64_t value = 0;
    return tl__json_get_int64(v, &value) ? value : 0;
}

double tl__json_number(const struct tl__json *v)
{
    return v != NULL && v->type == TL_JSON_NUMBER ? v->number.value : 0.0;
}

bool tl__json_bool(const struct tl__json *v)
{
    return v != NULL && v->type == TL_JSON_BOOL && v->boolean;
}

bool tl__json_is_null(const struct tl__json *v)
{
    return v != NULL && v->type == TL_JSON_NULL;
}
