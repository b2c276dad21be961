/* The CLI's JSON reader (jansson behind cli/json_reader.h): valid documents, rejected ones with
 * the line they fail on, limits, and a small fuzz loop (random bytes, truncations, mutations)
 * that must never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_reader.h"

static struct tl__json *parse(const char *text, char *err, size_t errlen)
{
    return tl__json_parse(text, strlen(text), err, errlen);
}

static struct tl__json *parse_ok(const char *text)
{
    char err[128];
    struct tl__json *v = parse(text, err, sizeof err);
    if (v == NULL)
        fail_msg("parse of %s failed: %s", text, err);
    assert_string_equal(err, "");
    return v;
}

/* ---- valid documents ---- */

static void test_scalars(void **state)
{
    (void)state;
    struct tl__json *v = parse_ok("  true ");
    assert_int_equal(tl__json_type(v), TL_JSON_BOOL);
    assert_true(tl__json_bool(v));
    tl__json_free(v);

    v = parse_ok("false");
    assert_int_equal(tl__json_type(v), TL_JSON_BOOL);
    assert_false(tl__json_bool(v));
    tl__json_free(v);

    v = parse_ok("\n\tnull\r\n");
    assert_true(tl__json_is_null(v));
    tl__json_free(v);

    v = parse_ok("-12.5e1");
    assert_int_equal(tl__json_type(v), TL_JSON_NUMBER);
    assert_true(tl__json_number(v) == -125.0);
    int64_t i;
    assert_false(tl__json_get_int64(v, &i)); /* has an exponent: not an exact integer */
    tl__json_free(v);

    v = parse_ok("\"plain\"");
    assert_string_equal(tl__json_string(v), "plain");
    assert_int_equal(tl__json_string_len(v), 5);
    tl__json_free(v);
}

static void test_nested_document(void **state)
{
    (void)state;
    struct tl__json *root = parse_ok("{\n"
                                     "  \"name\": \"srv\",\n"
                                     "  \"pid\": 42,\n"
                                     "  \"empty_a\": [],\n"
                                     "  \"empty_o\": {},\n"
                                     "  \"list\": [1, [2, 3], {\"k\": null}]\n"
                                     "}");
    assert_int_equal(tl__json_type(root), TL_JSON_OBJECT);
    assert_int_equal(tl__json_length(root), 5);
    assert_string_equal(tl__json_string(tl__json_get(root, "name")), "srv");
    assert_int_equal(tl__json_int(tl__json_get(root, "pid")), 42);
    assert_int_equal(tl__json_type(tl__json_get(root, "empty_a")), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(tl__json_get(root, "empty_a")), 0);
    assert_int_equal(tl__json_type(tl__json_get(root, "empty_o")), TL_JSON_OBJECT);
    assert_int_equal(tl__json_length(tl__json_get(root, "empty_o")), 0);

    const struct tl__json *list = tl__json_get(root, "list");
    assert_int_equal(tl__json_length(list), 3);
    assert_int_equal(tl__json_int(tl__json_index(list, 0)), 1);
    assert_int_equal(tl__json_int(tl__json_index(tl__json_index(list, 1), 1)), 3);
    assert_true(tl__json_is_null(tl__json_get(tl__json_index(list, 2), "k")));
    assert_null(tl__json_index(list, 3));

    /* Members come back in document order. */
    const char *key = NULL;
    assert_non_null(tl__json_member(root, 0, &key));
    assert_string_equal(key, "name");
    assert_non_null(tl__json_member(root, 4, &key));
    assert_string_equal(key, "list");
    assert_null(tl__json_member(root, 5, &key));
    tl__json_free(root);
}

static void test_accessors_on_wrong_types(void **state)
{
    (void)state;
    struct tl__json *root = parse_ok("{\"s\": \"x\", \"n\": 1, \"a\": [true]}");
    const struct tl__json *s = tl__json_get(root, "s");
    const struct tl__json *a = tl__json_get(root, "a");
    assert_null(tl__json_get(root, "missing"));
    assert_null(tl__json_get(s, "s"));
    assert_null(tl__json_index(s, 0));
    assert_null(tl__json_index(root, 0));
    assert_null(tl__json_string(tl__json_get(root, "n")));
    assert_int_equal(tl__json_int(s), 0);
    assert_int_equal(tl__json_length(s), 0);
    assert_false(tl__json_bool(tl__json_get(root, "n")));
    assert_true(tl__json_bool(tl__json_index(a, 0)));
    assert_null(tl__json_member(a, 0, NULL));
    /* NULL chains through every accessor. */
    assert_int_equal(tl__json_type(NULL), TL_JSON_NONE);
    assert_null(tl__json_get(NULL, "x"));
    assert_null(tl__json_string(tl__json_get(tl__json_index(NULL, 0), "x")));
    assert_false(tl__json_is_null(NULL));
    tl__json_free(root);
    tl__json_free(NULL);
}

static void test_string_escapes(void **state)
{
    (void)state;
    struct tl__json *v =
        parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud83d\\ude00\"");
    assert_string_equal(tl__json_string(v),
                        "q\" b\\ s/ \b\f\n\r\t \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    tl__json_free(v);

    /* Raw UTF-8 passes through unchanged. */
    v = parse_ok("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
    assert_string_equal(tl__json_string(v), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    tl__json_free(v);

    /* \u0000 is kept: the length tells. */
    v = parse_ok("\"a\\u0000b\"");
    assert_int_equal(tl__json_string_len(v), 3);
    assert_memory_equal(tl__json_string(v), "a\0b", 4);
    tl__json_free(v);

    /* Keys are decoded like values. */
    v = parse_ok("{\"k\\u0065y\": 1}");
    assert_int_equal(tl__json_int(tl__json_get(v, "key")), 1);
    tl__json_free(v);
}

/* ---- numbers ---- */

static void test_integer_limits(void **state)
{
    (void)state;
    int64_t i;
    uint64_t u;
    struct tl__json *v = parse_ok("9223372036854775807");
    assert_true(tl__json_get_int64(v, &i));
    assert_true(i == INT64_MAX);
    assert_true(tl__json_get_uint64(v, &u));
    assert_true(u == (uint64_t)INT64_MAX);
    tl__json_free(v);

    v = parse_ok("-9223372036854775808");
    assert_true(tl__json_get_int64(v, &i));
    assert_true(i == INT64_MIN);
    assert_false(tl__json_get_uint64(v, &u));
    tl__json_free(v);

    v = parse_ok("-0");
    assert_true(tl__json_get_int64(v, &i));
    assert_int_equal(i, 0);
    tl__json_free(v);
}

/* Integers are held as int64_t: anything beyond is an error, never a rounded value. */
static void test_integers_beyond_int64_are_errors(void **state)
{
    (void)state;
    static const char *const too_big[] = {"9223372036854775808", "18446744073709551615",
                                          "-9223372036854775809",
                                          "[123456789012345678901234567890]"};
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        char err[128];
        assert_null(parse(too_big[i], err, sizeof err));
        assert_non_null(strstr(err, "too big"));
    }
}

static void test_big_and_small_doubles(void **state)
{
    (void)state;
    struct tl__json *v = parse_ok("1.2345678901234e29");
    assert_true(tl__json_number(v) > 1.2345678901e29 && tl__json_number(v) < 1.2345678902e29);
    tl__json_free(v);

    v = parse_ok("1.5E+300");
    assert_true(tl__json_number(v) == 1.5e300);
    tl__json_free(v);

    v = parse_ok("1e-400"); /* underflows to zero: representable, so accepted */
    assert_true(tl__json_number(v) == 0.0);
    tl__json_free(v);

    v = parse_ok("0.1");
    assert_true(tl__json_number(v) == 0.1);
    tl__json_free(v);

    /* A literal longer than any fixed buffer. */
    char long_number[300] = "0.";
    memset(long_number + 2, '5', 200);
    v = parse_ok(long_number);
    assert_true(tl__json_number(v) > 0.5555 && tl__json_number(v) < 0.5556);
    tl__json_free(v);
}

/* ---- rejected documents ---- */

struct bad_case {
    const char *text;
    size_t len;        /* 0: strlen(text) */
    const char *error; /* what is wrong, as the hand-written parser put it; the line is checked */
};

static const struct bad_case bad_cases[] = {
    {"", 0, "1:1: expected a value but found end of input"},
    {"   \n  ", 0, "2:3: expected a value but found end of input"},
    {"[1,]", 0, "1:4: trailing comma before ']'"},
    {"{\"a\": 1,}", 0, "1:9: trailing comma before '}'"},
    {"[1,\n2,\n]", 0, "3:1: trailing comma before ']'"},
    {"01", 0, "1:1: leading zeros are not allowed in numbers"},
    {"-01", 0, "1:2: leading zeros are not allowed in numbers"},
    {"-", 0, "1:2: expected a digit but found end of input"},
    {"-a", 0, "1:2: expected a digit but found 'a'"},
    {"1.", 0, "1:3: expected a digit after the decimal point but found end of input"},
    {"1.e5", 0, "1:3: expected a digit after the decimal point but found 'e'"},
    {"1e", 0, "1:3: expected a digit in the exponent but found end of input"},
    {"1e+", 0, "1:4: expected a digit in the exponent but found end of input"},
    {".5", 0, "1:1: expected a value but found '.'"},
    {"+1", 0, "1:1: expected a value but found '+'"},
    {"1e400", 0, "1:1: number out of range"},
    {"[-1e999]", 0, "1:2: number out of range"},
    {"[1 2]", 0, "1:4: expected ',' or ']' after an array element but found '2'"},
    {"{\n  \"a\" 1}", 0, "2:7: expected ':' after an object key but found '1'"},
    {"{\"a\": 1 \"b\": 2}", 0, "1:9: expected ',' or '}' after an object member but found '\"'"},
    {"{1: 2}", 0, "1:2: expected a string key but found '1'"},
    {"{'a': 2}", 0, "1:2: expected a string key but found '''"},
    {"{\"a\": 1, \"a\": 2}", 0, "1:10: duplicate key \"a\""},
    {"[", 0, "1:2: expected a value but found end of input"},
    {"{", 0, "1:2: expected a string key but found end of input"},
    {"{\"a\":", 0, "1:6: expected a value but found end of input"},
    {"\"abc", 0, "1:5: unterminated string"},
    {"\"abc\\", 0, "1:6: unterminated string"},
    {"\"a\x01\"", 0, "1:3: control character 0x01 in string must be escaped"},
    {"\"a\nb\"", 0, "1:3: control character 0x0a in string must be escaped"},
    {"\"a\x1f\"", 0, "1:3: control character 0x1f in string must be escaped"},
    {"\"\\x\"", 0, "1:2: invalid escape: backslash followed by 'x'"},
    {"\"\\u12\"", 0, "1:2: expected 4 hex digits after \\u"},
    {"\"\\ud800\"", 0, "1:2: high surrogate \\uD800 not followed by a low surrogate"},
    {"\"\\ud800\\u0041\"", 0, "1:2: high surrogate \\uD800 not followed by a low surrogate"},
    {"\"\\udc00\"", 0, "1:2: lone low surrogate \\uDC00"},
    {"\"\xff\"", 0, "1:2: invalid UTF-8 byte 0xff in string"},
    {"\"\xc0\xaf\"", 0, "1:2: invalid UTF-8 byte 0xc0 in string"},         /* overlong '/' */
    {"\"\xed\xa0\x80\"", 0, "1:2: invalid UTF-8 byte 0xed in string"},     /* raw surrogate */
    {"\"ab\xe2\x82\"", 0, "1:4: invalid UTF-8 byte 0xe2 in string"},       /* truncated */
    {"\"\xf4\x90\x80\x80\"", 0, "1:2: invalid UTF-8 byte 0xf4 in string"}, /* > U+10FFFF */
    {"tru", 0, "1:1: expected a value but found 't'"},
    {"nul", 0, "1:1: expected a value but found 'n'"},
    {"True", 0, "1:1: expected a value but found 'T'"},
    {"1 2", 0, "1:3: unexpected '2' after the JSON value"},
    {"{} x", 0, "1:4: unexpected 'x' after the JSON value"},
    {"[1]\0", 4, "1:4: unexpected byte 0x00 after the JSON value"},
    {"[1,\0]", 5, "1:4: expected a value but found byte 0x00"},
    {"\xef\xbb\xbf{}", 0, "1:1: expected a value but found byte 0xef"},
    {"/* c */ 1", 0, "1:1: expected a value but found '/'"},
    {"[\f]", 0, "1:2: expected a value but found byte 0x0c"},
};

/* Every case is refused with "LINE:COLUMN: reason" on the line that has the fault. The reason is
 * jansson's wording and the column the end of the token it read, so neither is compared. */
static void test_rejects_with_positions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        char err[160] = "untouched";
        size_t len = c->len ? c->len : strlen(c->text);
        struct tl__json *v = tl__json_parse(c->text, len, err, sizeof err);
        if (v != NULL)
            fail_msg("case %zu (%s) parsed", i, c->text);
        unsigned line, want_line, column;
        int consumed = 0;
        sscanf(c->error, "%u:", &want_line);
        if (sscanf(err, "%u:%u: %n", &line, &column, &consumed) != 2 || consumed == 0 ||
            err[consumed] == '\0' || line != want_line)
            fail_msg("case %zu: got \"%s\", want line %u (%s)", i, err, want_line, c->error);
    }
}

static void test_error_buffer_edges(void **state)
{
    (void)state;
    assert_null(tl__json_parse("[", 1, NULL, 0));
    char tiny[6];
    memset(tiny, 'x', sizeof tiny);
    assert_null(tl__json_parse("[", 1, tiny, sizeof tiny));
    assert_int_equal(strlen(tiny), sizeof tiny - 1); /* truncated, still terminated */
    assert_memory_equal(tiny, "1:", 2);
    char one = 'x';
    assert_null(tl__json_parse("[", 1, &one, 1));
    assert_int_equal(one, '\0');
    /* NULL text is an empty document. */
    char err[64];
    assert_null(tl__json_parse(NULL, 5, err, sizeof err));
    assert_true(strncmp(err, "1:1: ", 5) == 0 && err[5] != '\0');
}

/* ---- limits ---- */

static char *nested_arrays(int depth)
{
    char *text = malloc((size_t)depth * 2 + 1);
    memset(text, '[', (size_t)depth);
    memset(text + depth, ']', (size_t)depth);
    text[depth * 2] = '\0';
    return text;
}

/* Reports nest a few levels; 256 must read, and absurd depths must fail, not exhaust the stack
 * (jansson stops at 2048 levels). */
#define READABLE_DEPTH 256
#define ABSURD_DEPTH   100000

static void test_nesting_limit(void **state)
{
    (void)state;
    char *text = nested_arrays(READABLE_DEPTH);
    struct tl__json *v = parse_ok(text);
    const struct tl__json *inner = v;
    for (int i = 1; i < READABLE_DEPTH; i++)
        inner = tl__json_index(inner, 0);
    assert_int_equal(tl__json_type(inner), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(inner), 0);
    tl__json_free(v);
    free(text);

    char err[128];
    text = nested_arrays(ABSURD_DEPTH);
    assert_null(parse(text, err, sizeof err));
    assert_non_null(strstr(err, "depth"));
    free(text);

    /* Objects count too. */
    size_t n = ABSURD_DEPTH;
    char *obj = malloc(n * 6 + 2);
    char *p = obj;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "{\"a\":");
    strcpy(p, "1");
    assert_null(parse(obj, err, sizeof err));
    assert_non_null(strstr(err, "depth"));
    free(obj);
}

static void test_wide_array(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = malloc(n * 2 + 2);
    char *p = text;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        *p++ = (char)('0' + i % 10);
        *p++ = i + 1 < n ? ',' : ']';
    }
    *p = '\0';
    struct tl__json *v = parse_ok(text);
    assert_int_equal(tl__json_length(v), n);
    assert_int_equal(tl__json_int(tl__json_index(v, n - 1)), (n - 1) % 10);
    tl__json_free(v);
    free(text);
}

/* ---- fuzzing: never crash, always explain ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A failed parse must leave a "LINE:COLUMN: reason" message. */
static void check_outcome(struct tl__json *v, const char *err)
{
    if (v != NULL) {
        tl__json_free(v);
        return;
    }
    unsigned line, column;
    int consumed = 0;
    if (sscanf(err, "%u:%u: %n", &line, &column, &consumed) != 2 || consumed == 0 ||
        err[consumed] == '\0')
        fail_msg("bad error message \"%s\"", err);
}

static void test_fuzz_random_bytes(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\",:\\ntrufalse0123456789-+.eE \n\tu\x01\xff\xc3\xa9";
    char buf[96];
    char err[128];
    unsigned parsed = 0;
    for (int round = 0; round < 50000; round++) {
        size_t len = next_random() % sizeof buf;
        bool any_byte = round % 4 == 0;
        for (size_t i = 0; i < len; i++) {
            uint64_t r = next_random();
            buf[i] = any_byte ? (char)r : alphabet[r % (sizeof alphabet - 1)];
        }
        struct tl__json *v = tl__json_parse(buf, len, err, sizeof err);
        parsed += v != NULL;
        check_outcome(v, err);
    }
    /* Random text is almost never JSON; make sure the loop did exercise parsing at all. */
    assert_true(parsed < 50000);
}

static const char sample[] = "{\n"
                             "  \"tool\": \"threadleak\",\n"
                             "  \"argv\": [\"a b\", \"\\u00e9\\ud83d\\ude00\", \"\\n\"],\n"
                             "  \"n\": [-1.5e3, 0, 9223372036854775807, true, false, null],\n"
                             "  \"nested\": {\"x\": {\"y\": [[], {}]}}\n"
                             "}";

static void test_fuzz_truncations(void **state)
{
    (void)state;
    char err[128];
    size_t full = strlen(sample);
    for (size_t len = 0; len < full; len++) {
        /* A heap copy of exactly len bytes, so reading past the end is caught by ASan. */
        char *copy = malloc(len ? len : 1);
        memcpy(copy, sample, len);
        struct tl__json *v = tl__json_parse(copy, len, err, sizeof err);
        if (v != NULL)
            fail_msg("truncation at %zu parsed", len);
        check_outcome(v, err);
        free(copy);
    }
    struct tl__json *v = tl__json_parse(sample, full, err, sizeof err);
    assert_non_null(v);
    assert_string_equal(tl__json_string(tl__json_index(tl__json_get(v, "argv"), 1)),
                        "\xC3\xA9\xF0\x9F\x98\x80");
    tl__json_free(v);
}

static void test_fuzz_mutations(void **state)
{
    (void)state;
    char err[128];
    size_t full = strlen(sample);
    char *copy = malloc(full);
    for (int round = 0; round < 20000; round++) {
        memcpy(copy, sample, full);
        int edits = 1 + (int)(next_random() % 3);
        for (int e = 0; e < edits; e++)
            copy[next_random() % full] = (char)next_random();
        check_outcome(tl__json_parse(copy, full, err, sizeof err), err);
    }
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_nested_document),
        cmocka_unit_test(test_accessors_on_wrong_types),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_integer_limits),
        cmocka_unit_test(test_integers_beyond_int64_are_errors),
        cmocka_unit_test(test_big_and_small_doubles),
        cmocka_unit_test(test_rejects_with_positions),
        cmocka_unit_test(test_error_buffer_edges),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_wide_array),
        cmocka_unit_test(test_fuzz_random_bytes),
        cmocka_unit_test(test_fuzz_truncations),
        cmocka_unit_test(test_fuzz_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
