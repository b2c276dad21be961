/* The streaming JSON writer: exact layout, escaping (checked byte for byte and by parsing back
 * with the reader), integer limits, and misuse and write errors reported by tl__jw_finish. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_reader.h"
#include "json_writer.h"

/* A writer over a memory buffer, so the test can look at the exact bytes. */
struct capture {
    char *text;
    size_t len;
    FILE *out;
    struct tl__json_writer w;
};

static void capture_open(struct capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->out = open_memstream(&c->text, &c->len);
    assert_non_null(c->out);
    tl__jw_init(&c->w, c->out);
}

/* Finishes the document; returns tl__jw_finish's result. The text stays in c->text. */
static int capture_close(struct capture *c)
{
    int rc = tl__jw_finish(&c->w);
    fclose(c->out);
    return rc;
}

static void test_empty_containers(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    tl__jw_begin_object(&c.w);
    tl__jw_end_object(&c.w);
    assert_int_equal(capture_close(&c), 0);
    assert_string_equal(c.text, "{}\n");
    free(c.text);

    capture_open(&c);
    tl__jw_begin_array(&c.w);
    tl__jw_end_array(&c.w);
    assert_int_equal(capture_close(&c), 0);
    assert_string_equal(c.text, "[]\n");
    free(c.text);
}

static void test_pretty_layout(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    tl__jw_begin_object(&c.w);
    tl__jw_key(&c.w, "a");
    tl__jw_int(&c.w, 1);
    tl__jw_key(&c.w, "list");
    tl__jw_begin_array(&c.w);
    tl__jw_bool(&c.w, true);
    tl__jw_null(&c.w);
    tl__jw_begin_object(&c.w);
    tl__jw_key(&c.w, "x");
    tl__jw_string(&c.w, "y");
    tl__jw_end_object(&c.w);
    tl__jw_begin_array(&c.w);
    tl__jw_end_array(&c.w);
    tl__jw_end_array(&c.w);
    tl__jw_key(&c.w, "empty");
    tl__jw_begin_object(&c.w);
    tl__jw_end_object(&c.w);
    tl__jw_key(&c.w, "f");
    tl__jw_bool(&c.w, false);
    tl__jw_end_object(&c.w);
    assert_int_equal(capture_close(&c), 0);
    assert_string_equal(c.text, "{\n"
                                "  \"a\": 1,\n"
                                "  \"list\": [\n"
                                "    true,\n"
                                "    null,\n"
                                "    {\n"
                                "      \"x\": \"y\"\n"
                                "    },\n"
                                "    []\n"
                                "  ],\n"
                                "  \"empty\": {},\n"
                                "  \"f\": false\n"
                                "}\n");
    free(c.text);
}

static void test_scalar_document(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    tl__jw_string(&c.w, NULL);
    assert_int_equal(capture_close(&c), 0);
    assert_string_equal(c.text, "null\n");
    free(c.text);
}

/* Writes s as a one-string document and returns the text (caller frees). */
static char *write_string_doc(const char *s, size_t len)
{
    struct capture c;
    capture_open(&c);
    tl__jw_string_len(&c.w, s, len);
    assert_int_equal(capture_close(&c), 0);
    return c.text;
}

static void test_escapes_exact(void **state)
{
    (void)state;
    static const char input[] = "q\" b\\ / \b\f\n\r\t \x01\x1f\x7f";
    char *text = write_string_doc(input, sizeof input - 1);
    assert_string_equal(text, "\"q\\\" b\\\\ / \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f\"\n");
    free(text);

    static const char with_nul[] = "a\0b";
    text = write_string_doc(with_nul, 3);
    assert_string_equal(text, "\"a\\u0000b\"\n");
    free(text);
}

struct utf8_case {
    const char *in;
    const char *out; /* the string's JSON body, without quotes */
};

#define FFFD "\xEF\xBF\xBD"

/* Well-formed UTF-8 stays; each maximal ill-formed subpart becomes one U+FFFD. */
static const struct utf8_case utf8_cases[] = {
    {"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"},
    {"a\xFF"
     "b",
     "a" FFFD "b"},
    {"\xFF\xFE", FFFD FFFD},
    {"\xC0\xAF", FFFD FFFD},                   /* overlong '/' */
    {"\xE0\x80\xAF", FFFD FFFD FFFD},          /* overlong, second byte out of range */
    {"\xED\xA0\x80", FFFD FFFD FFFD},          /* a surrogate */
    {"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD}, /* above U+10FFFF */
    {"\xE2\x82", FFFD},                        /* truncated at the end */
    {"\xE2\x82x", FFFD "x"},                   /* truncated in the middle */
    {"\xF0\x9F\x98", FFFD},
    {"\x80", FFFD},                   /* lone continuation */
    {"\xEF\xBF\xBF", "\xEF\xBF\xBF"}, /* U+FFFF is well-formed */
};

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        char *text = write_string_doc(utf8_cases[i].in, strlen(utf8_cases[i].in));
        char expected[64];
        snprintf(expected, sizeof expected, "\"%s\"\n", utf8_cases[i].out);
        if (strcmp(text, expected) != 0)
            fail_msg("case %zu: got %s", i, text);
        /* And the strict reader, which rejects ill-formed UTF-8, accepts the result. */
        char err[128];
        struct tl__json *v = tl__json_parse(text, strlen(text), err, sizeof err);
        if (v == NULL)
            fail_msg("case %zu: %s", i, err);
        assert_string_equal(tl__json_string(v), utf8_cases[i].out);
        tl__json_free(v);
        free(text);
    }
}

/* Every byte value through the writer and back: control bytes and ASCII exactly, the rest
 * repaired into something the strict reader accepts. */
static void test_every_byte_round_trips(void **state)
{
    (void)state;
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    char *text = write_string_doc(all, sizeof all);
    char err[128];
    struct tl__json *v = tl__json_parse(text, strlen(text), err, sizeof err);
    if (v == NULL)
        fail_msg("%s", err);
    assert_true(tl__json_string_len(v) >= 128);
    assert_memory_equal(tl__json_string(v), all, 128);
    tl__json_free(v);
    free(text);
}

static void test_integers(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    tl__jw_begin_array(&c.w);
    tl__jw_int(&c.w, INT64_MIN);
    tl__jw_int(&c.w, INT64_MAX);
    tl__jw_int(&c.w, -1);
    tl__jw_uint64(&c.w, UINT64_MAX);
    tl__jw_uint64(&c.w, 0);
    tl__jw_end_array(&c.w);
    assert_int_equal(capture_close(&c), 0);
    assert_string_equal(c.text, "[\n  -9223372036854775808,\n  9223372036854775807,\n  -1,\n"
                                "  18446744073709551615,\n  0\n]\n");
    /* The reader holds integers as int64_t (json_reader.h), so it reads back the signed ones:
     * the array up to UINT64_MAX, closed there. */
    strcpy(strstr(c.text, ",\n  18446744073709551615"), "]");
    struct tl__json *v = tl__json_parse(c.text, strlen(c.text), NULL, 0);
    assert_non_null(v);
    int64_t i;
    assert_true(tl__json_get_int64(tl__json_index(v, 0), &i) && i == INT64_MIN);
    assert_true(tl__json_get_int64(tl__json_index(v, 1), &i) && i == INT64_MAX);
    tl__json_free(v);
    free(c.text);
}

/* Doubles: six significant digits, and null for what JSON cannot say. */
static void test_doubles(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    tl__jw_begin_array(&c.w);
    tl__jw_double(&c.w, 360.0);
    tl__jw_double(&c.w, -0.5);
    tl__jw_double(&c.w, 178807.94);
    tl__jw_double(&c.w, 1e300 * 1e300);
    tl__jw_double(&c.w, 0.0 / 0.0);
    tl__jw_end_array(&c.w);
    assert_int_equal(capture_close(&c), 0);
    assert_string_equal(c.text, "[\n  360,\n  -0.5,\n  178808,\n  null,\n  null\n]\n");
    free(c.text);
}

/* A member writes exactly what its key and its value would, one after the other. */
static void test_members_equal_key_then_value(void **state)
{
    (void)state;
    struct capture a, b;
    capture_open(&a);
    tl__jw_begin_object(&a.w);
    tl__jw_member_string(&a.w, "s", "x\"y");
    tl__jw_member_string(&a.w, "none", NULL);
    tl__jw_member_int(&a.w, "i", -5);
    tl__jw_member_uint64(&a.w, "u", UINT64_MAX);
    tl__jw_member_bool(&a.w, "b", true);
    tl__jw_end_object(&a.w);
    assert_int_equal(capture_close(&a), 0);
    capture_open(&b);
    tl__jw_begin_object(&b.w);
    tl__jw_key(&b.w, "s");
    tl__jw_string(&b.w, "x\"y");
    tl__jw_key(&b.w, "none");
    tl__jw_string(&b.w, NULL);
    tl__jw_key(&b.w, "i");
    tl__jw_int(&b.w, -5);
    tl__jw_key(&b.w, "u");
    tl__jw_uint64(&b.w, UINT64_MAX);
    tl__jw_key(&b.w, "b");
    tl__jw_bool(&b.w, true);
    tl__jw_end_object(&b.w);
    assert_int_equal(capture_close(&b), 0);
    assert_string_equal(a.text, b.text);
    assert_non_null(strstr(a.text, "\"u\": 18446744073709551615"));
    free(a.text);
    free(b.text);
}

static void test_keys_are_escaped(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    tl__jw_begin_object(&c.w);
    tl__jw_key(&c.w, "we\"ird\nkey");
    tl__jw_int(&c.w, 7);
    tl__jw_end_object(&c.w);
    assert_int_equal(capture_close(&c), 0);
    struct tl__json *v = tl__json_parse(c.text, c.len, NULL, 0);
    assert_non_null(v);
    assert_int_equal(tl__json_int(tl__json_get(v, "we\"ird\nkey")), 7);
    tl__json_free(v);
    free(c.text);
}

/* Each misuse leaves the document invalid, and tl__jw_finish must say so. */
static void misuse_value_without_key(struct tl__json_writer *w)
{
    tl__jw_begin_object(w);
    tl__jw_int(w, 1);
    tl__jw_end_object(w);
}

static void misuse_key_in_array(struct tl__json_writer *w)
{
    tl__jw_begin_array(w);
    tl__jw_key(w, "k");
    tl__jw_int(w, 1);
    tl__jw_end_array(w);
}

static void misuse_two_keys(struct tl__json_writer *w)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, "a");
    tl__jw_key(w, "b");
    tl__jw_int(w, 1);
    tl__jw_end_object(w);
}

static void misuse_dangling_key(struct tl__json_writer *w)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, "a");
    tl__jw_end_object(w);
}

static void misuse_unclosed(struct tl__json_writer *w)
{
    tl__jw_begin_array(w);
}

static void misuse_wrong_close(struct tl__json_writer *w)
{
    tl__jw_begin_array(w);
    tl__jw_end_object(w);
}

static void misuse_two_documents(struct tl__json_writer *w)
{
    tl__jw_int(w, 1);
    tl__jw_int(w, 2);
}

static void misuse_nothing(struct tl__json_writer *w)
{
    (void)w;
}

static void misuse_too_deep(struct tl__json_writer *w)
{
    for (int i = 0; i <= TL_JW_MAX_DEPTH; i++)
        tl__jw_begin_array(w);
    for (int i = 0; i <= TL_JW_MAX_DEPTH; i++)
        tl__jw_end_array(w);
}

static void misuse_null_key(struct tl__json_writer *w)
{
    tl__jw_begin_object(w);
    tl__jw_key(w, NULL);
    tl__jw_int(w, 1);
    tl__jw_end_object(w);
}

static void test_misuse_is_reported(void **state)
{
    (void)state;
    void (*const misuses[])(struct tl__json_writer *) = {
        misuse_value_without_key, misuse_key_in_array, misuse_two_keys,      misuse_dangling_key,
        misuse_unclosed,          misuse_wrong_close,  misuse_two_documents, misuse_nothing,
        misuse_too_deep,          misuse_null_key,
    };
    for (size_t i = 0; i < sizeof misuses / sizeof misuses[0]; i++) {
        struct capture c;
        capture_open(&c);
        misuses[i](&c.w);
        if (capture_close(&c) != -1)
            fail_msg("misuse %zu accepted: %s", i, c.text);
        free(c.text);
    }
}

static void test_deepest_allowed_nesting(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    for (int i = 0; i < TL_JW_MAX_DEPTH; i++)
        tl__jw_begin_array(&c.w);
    for (int i = 0; i < TL_JW_MAX_DEPTH; i++)
        tl__jw_end_array(&c.w);
    assert_int_equal(capture_close(&c), 0);
    struct tl__json *v = tl__json_parse(c.text, c.len, NULL, 0);
    assert_non_null(v);
    tl__json_free(v);
    free(c.text);
}

static void test_write_error_is_reported(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    struct tl__json_writer w;
    tl__jw_init(&w, full);
    tl__jw_begin_array(&w);
    for (int i = 0; i < 10000; i++)
        tl__jw_string(&w, "filler filler filler");
    tl__jw_end_array(&w);
    assert_int_equal(tl__jw_finish(&w), -1);
    fclose(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_pretty_layout),
        cmocka_unit_test(test_scalar_document),
        cmocka_unit_test(test_escapes_exact),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_every_byte_round_trips),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_members_equal_key_then_value),
        cmocka_unit_test(test_keys_are_escaped),
        cmocka_unit_test(test_misuse_is_reported),
        cmocka_unit_test(test_deepest_allowed_nesting),
        cmocka_unit_test(test_write_error_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
