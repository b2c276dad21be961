/* The one JSON frame writer, byte for byte, with each schema's members: the exit report's, the
 * thread profile's (a location's frames, its offset on the last) and TSan's parsed frames. */
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

#include "json_frame.h"

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
    tl__jw_begin_array(&c->w);
}

static void capture_expect(struct capture *c, const char *expected)
{
    tl__jw_end_array(&c->w);
    assert_int_equal(tl__jw_finish(&c->w), 0);
    fclose(c->out);
    assert_string_equal(c->text, expected);
    free(c->text);
}

static const struct tl__frame inlined_frames[] = {
    {0x401000, "spin_once", "/src/spin.c", 7, "/bin/server", true},
    {0x401000, "spin_forever", "/src/spin.c", 20, "/bin/server", false},
};

static void test_exit_report_frame(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c);
    json_write_frame(&c.w, &inlined_frames[0], JSON_FRAMES_EXIT_REPORT, NULL);
    json_write_frame(&c.w, &(struct tl__frame){.pc = 0x10}, JSON_FRAMES_EXIT_REPORT, NULL);
    capture_expect(&c, "[\n"
                       "  {\n"
                       "    \"pc\": \"0x401000\",\n"
                       "    \"function\": \"spin_once\",\n"
                       "    \"file\": \"/src/spin.c\",\n"
                       "    \"line\": 7,\n"
                       "    \"module\": \"/bin/server\",\n"
                       "    \"inlined\": true\n"
                       "  },\n"
                       "  {\n"
                       "    \"pc\": \"0x10\",\n"
                       "    \"function\": \"??\",\n"
                       "    \"file\": null,\n"
                       "    \"line\": null,\n"
                       "    \"module\": null,\n"
                       "    \"inlined\": false\n"
                       "  }\n"
                       "]\n");
}

static void test_profile_location(void **state)
{
    (void)state;
    const struct tl__location loc = {
        .pc = 0x401000,
        .return_address = true,
        .offset_known = true,
        .offset = 0x1b,
        .frames = inlined_frames,
        .nframes = 2,
    };
    struct capture c;
    capture_open(&c);
    json_write_location(&c.w, &loc, JSON_FRAMES_PROFILE);
    capture_expect(&c, "[\n"
                       "  {\n"
                       "    \"pc\": \"0x401000\",\n"
                       "    \"function\": \"spin_once\",\n"
                       "    \"file\": \"/src/spin.c\",\n"
                       "    \"line\": 7,\n"
                       "    \"module\": \"/bin/server\",\n"
                       "    \"offset\": null,\n"
                       "    \"inlined\": true\n"
                       "  },\n"
                       "  {\n"
                       "    \"pc\": \"0x401000\",\n"
                       "    \"function\": \"spin_forever\",\n"
                       "    \"file\": \"/src/spin.c\",\n"
                       "    \"line\": 20,\n"
                       "    \"module\": \"/bin/server\",\n"
                       "    \"offset\": \"0x1b\",\n"
                       "    \"inlined\": false\n"
                       "  }\n"
                       "]\n");
}

/* What reports/tsan_report.c writes for `#0 <null> <null> (libfoo.so+0xcce0)` and for
 * `#1 worker /src/w.c:12:5 (server+0x1234)`. */
static void test_tsan_frames(void **state)
{
    (void)state;
    const struct tl__frame unknown = {.module = "libfoo.so"};
    const struct json_frame_extras unknown_at = {.module_offset = 0xcce0};
    const struct tl__frame worker = {
        .function = "worker", .file = "/src/w.c", .line = 12, .module = "server"};
    const struct json_frame_extras worker_at = {.column = 5, .module_offset = 0x1234};
    struct capture c;
    capture_open(&c);
    json_write_frame(&c.w, &unknown, JSON_FRAMES_TSAN, &unknown_at);
    json_write_frame(&c.w, &worker, JSON_FRAMES_TSAN, &worker_at);
    capture_expect(&c, "[\n"
                       "  {\n"
                       "    \"function\": null,\n"
                       "    \"file\": null,\n"
                       "    \"line\": null,\n"
                       "    \"column\": null,\n"
                       "    \"module\": \"libfoo.so\",\n"
                       "    \"offset\": 52448\n"
                       "  },\n"
                       "  {\n"
                       "    \"function\": \"worker\",\n"
                       "    \"file\": \"/src/w.c\",\n"
                       "    \"line\": 12,\n"
                       "    \"column\": 5,\n"
                       "    \"module\": \"server\",\n"
                       "    \"offset\": 4660\n"
                       "  }\n"
                       "]\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_report_frame),
        cmocka_unit_test(test_profile_location),
        cmocka_unit_test(test_tsan_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
