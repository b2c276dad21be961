/* asan_report: parsing real AddressSanitizer and LeakSanitizer output (tests/unit/fixtures/asan,
 * captured with gcc 12 and clang 14) and writing it as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "asan_report.h"
#include "json_reader.h"
#include "json_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ASAN_FIXTURE_DIR
#error "ASAN_FIXTURE_DIR must name tests/unit/fixtures/asan"
#endif

static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ASAN_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    *len = fread(text, 1, (size_t)size, f);
    text[*len] = '\0';
    fclose(f);
    return text;
}

static void parse_fixture(const char *name, struct tl__asan_report_set *set)
{
    size_t len;
    char *text = read_fixture(name, &len);
    int n = asan_report_parse(text, len, set);
    free(text);
    assert_int_equal(n, (int)set->nfindings);
}

/* dropped_result: one direct leak of 4096 bytes, allocated in render_preview. The same verdict
 * from both compilers, whose frames differ (gcc: libasan's source path; clang: the static
 * runtime, no source, a BuildId, columns). */
static void check_dropped_result(const char *fixture, unsigned column)
{
    struct tl__asan_report_set set;
    parse_fixture(fixture, &set);
    assert_int_equal(set.nfindings, 1);
    assert_int_equal(set.nmessages, 0);
    const struct tl__asan_finding *f = &set.findings[0];
    assert_true(asan_finding_is_leak_report(f));
    assert_string_equal(f->tool, "LeakSanitizer");
    assert_string_equal(f->kind, "detected memory leaks");
    assert_true(f->pid > 0);
    assert_string_equal(f->summary,
                        "SUMMARY: AddressSanitizer: 4096 byte(s) leaked in 1 allocation(s).");
    assert_int_equal(f->nleaks, 1);
    assert_int_equal(f->leaked_bytes, 4096);
    assert_int_equal(f->leaked_allocations, 1);
    const struct tl__asan_leak *l = &f->leaks[0];
    assert_true(l->direct);
    assert_int_equal(l->bytes, 4096);
    assert_int_equal(l->objects, 1);
    assert_string_equal(l->allocated_by_function, "render_preview");
    assert_int_equal(l->nframes, 3);
    assert_string_equal(l->frames[0].function, "__interceptor_malloc");
    assert_string_equal(l->frames[1].function, "render_preview");
    assert_int_equal(l->frames[1].index, 1);
    assert_int_equal(l->frames[1].line, 32);
    assert_int_equal(l->frames[1].column, column);
    assert_non_null(strstr(l->frames[1].file, "dropped_result.c"));
    assert_string_equal(l->frames[2].function, "start_thread");
    assert_int_equal(f->nstacks, 0);
    asan_report_set_free(&set);
}

static void test_gcc_leak(void **state)
{
    (void)state;
    check_dropped_result("gcc_dropped_result.log", 0);
}

static void test_clang_leak(void **state)
{
    (void)state;
    check_dropped_result("clang_dropped_result.log", 29);
    /* clang's interceptor frame has only a module, with a BuildId after it. */
    struct tl__asan_report_set set;
    parse_fixture("clang_dropped_result.log", &set);
    const struct tl__tsan_frame *f0 = &set.findings[0].leaks[0].frames[0];
    assert_null(f0->file);
    assert_non_null(strstr(f0->module, "dropped_result"));
    assert_true(f0->module_offset > 0);
    asan_report_set_free(&set);
}

static void test_direct_and_indirect(void **state)
{
    (void)state;
    struct tl__asan_report_set set;
    parse_fixture("gcc_direct_and_indirect.log", &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__asan_finding *f = &set.findings[0];
    assert_int_equal(f->nleaks, 2);
    assert_true(f->leaks[0].direct);
    assert_int_equal(f->leaks[0].bytes, 32);
    assert_false(f->leaks[1].direct);
    assert_int_equal(f->leaks[1].bytes, 64);
    assert_int_equal(f->leaks[1].objects, 2);
    assert_string_equal(f->leaks[1].allocated_by_function, "build"); /* calloc skipped */
    assert_int_equal(f->leaked_bytes, 96);
    assert_int_equal(f->leaked_allocations, 3);
    assert_int_equal(f->leaks[0].nframes, 4);
    asan_report_set_free(&set);
}

/* Standalone LeakSanitizer (gcc -fsanitize=leak): SUMMARY says LeakSanitizer, and frames without
 * debug info have only a module. */
static void test_standalone_lsan(void **state)
{
    (void)state;
    struct tl__asan_report_set set;
    parse_fixture("gcc_lsan_standalone.log", &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__asan_finding *f = &set.findings[0];
    assert_string_equal(f->summary,
                        "SUMMARY: LeakSanitizer: 74 byte(s) leaked in 2 allocation(s).");
    assert_int_equal(f->nleaks, 2);
    assert_string_equal(f->leaks[0].allocated_by_function, "make");
    assert_string_equal(f->leaks[1].allocated_by_function, "main");
    assert_null(f->leaks[0].frames[1].file);
    assert_non_null(strstr(f->leaks[0].frames[1].module, "leak-glsan"));
    asan_report_set_free(&set);
}

static void check_use_after_free(const char *fixture)
{
    struct tl__asan_report_set set;
    parse_fixture(fixture, &set);
    assert_int_equal(set.nfindings, 1);
    assert_int_equal(set.nmessages, 0); /* ==PID==ABORTING is not a message */
    const struct tl__asan_finding *f = &set.findings[0];
    assert_false(asan_finding_is_leak_report(f));
    assert_string_equal(f->tool, "AddressSanitizer");
    assert_string_equal(f->kind, "heap-use-after-free");
    assert_int_equal(
        strncmp(f->description, "AddressSanitizer: heap-use-after-free on address", 48), 0);
    assert_int_equal(strncmp(f->summary, "SUMMARY: AddressSanitizer: heap-use-after-free", 46), 0);
    assert_int_equal(f->nleaks, 0);
    assert_int_equal(f->nstacks, 3);
    assert_int_equal(strncmp(f->stacks[0].title, "READ of size 4 at 0x", 20), 0);
    assert_string_equal(f->stacks[0].frames[0].function, "main");
    assert_string_equal(f->stacks[1].title, "freed by thread T0 here");
    assert_string_equal(f->stacks[2].title, "previously allocated by thread T0 here");
    assert_string_equal(f->stacks[2].frames[1].function, "main");
    asan_report_set_free(&set);
}

static void test_use_after_free_gcc(void **state)
{
    (void)state;
    check_use_after_free("gcc_heap_use_after_free.log");
}

static void test_use_after_free_clang(void **state)
{
    (void)state;
    check_use_after_free("clang_heap_use_after_free.log");
}

/* Program output around a report, a report cut short, and messages outside reports. */
static void test_noise_cut_and_messages(void **state)
{
    (void)state;
    static const char text[] =
        "hello from the program\n"
        "==41==Running thread 43 was not suspended. False leaks are possible.\n"
        "==41==ERROR: LeakSanitizer: detected memory leaks\n"
        "\n"
        "Direct leak of 8 byte(s) in 2 object(s) allocated from:\n"
        "    #0 0x7f in malloc (/usr/lib/libasan.so.8+0x1234)\n"
        "    #1 0x55 in worker /src/w.c:10\n"
        "    #2 0x7f (/lib/libc.so.6+0x27189)\n";
    struct tl__asan_report_set set;
    assert_int_equal(asan_report_parse(text, strlen(text), &set), 1);
    assert_int_equal(set.nmessages, 1);
    assert_int_equal(set.messages[0].pid, 41);
    assert_string_equal(set.messages[0].text,
                        "Running thread 43 was not suspended. False leaks are possible.");
    const struct tl__asan_finding *f = &set.findings[0];
    assert_int_equal(f->pid, 41);
    assert_null(f->summary);
    assert_int_equal(f->leaks[0].nframes, 3);
    assert_string_equal(f->leaks[0].allocated_by_function, "worker");
    assert_null(f->leaks[0].frames[2].function);
    assert_int_equal(f->leaks[0].frames[2].module_offset, 0x27189);
    asan_report_set_free(&set);

    assert_int_equal(asan_report_parse("", 0, &set), 0);
    assert_int_equal(set.nfindings + set.nmessages, 0);
    asan_report_set_free(&set);
}

static void write_set(struct tl__json_writer *w, const void *set)
{
    asan_report_write_findings(w, set);
}

static void test_json(void **state)
{
    (void)state;
    struct tl__asan_report_set set;
    parse_fixture("gcc_direct_and_indirect.log", &set);
    char *json = tl__jw_to_string(write_set, &set);
    assert_non_null(json);
    char err[160];
    struct tl__json *root = tl__json_parse(json, strlen(json), err, sizeof err);
    assert_non_null(root);
    const struct tl__json *f = tl__json_index(root, 0);
    assert_string_equal(tl__json_string(tl__json_get(f, "tool")), "LeakSanitizer");
    assert_int_equal(tl__json_int(tl__json_get(f, "leaked_bytes")), 96);
    assert_int_equal(tl__json_int(tl__json_get(f, "leaked_allocations")), 3);
    const struct tl__json *leak = tl__json_index(tl__json_get(f, "leaks"), 1);
    assert_string_equal(tl__json_string(tl__json_get(leak, "type")), "indirect");
    assert_int_equal(tl__json_int(tl__json_get(leak, "objects")), 2);
    assert_string_equal(tl__json_string(tl__json_get(leak, "allocated_by_function")), "build");
    const struct tl__json *frame = tl__json_index(tl__json_get(leak, "frames"), 1);
    assert_string_equal(tl__json_string(tl__json_get(frame, "function")), "build");
    assert_int_equal(tl__json_int(tl__json_get(frame, "line")), 3);
    assert_int_equal(tl__json_length(tl__json_get(f, "stacks")), 0);
    tl__json_free(root);
    free(json);
    asan_report_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcc_leak),
        cmocka_unit_test(test_clang_leak),
        cmocka_unit_test(test_direct_and_indirect),
        cmocka_unit_test(test_standalone_lsan),
        cmocka_unit_test(test_use_after_free_gcc),
        cmocka_unit_test(test_use_after_free_clang),
        cmocka_unit_test(test_noise_cut_and_messages),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
