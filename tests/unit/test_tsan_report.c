/* tsan_report: parsing real ThreadSanitizer output (tests/unit/fixtures/tsan, captured from the
 * reference corpus with clang and gcc) and writing it as JSON. */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_reader.h"
#include "tsan_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TSAN_FIXTURE_DIR
#error "TSAN_FIXTURE_DIR must name tests/unit/fixtures/tsan"
#endif

static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TSAN_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            text = realloc(text, cap + 1);
            assert_non_null(text);
        }
        size_t n = fread(text + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    fclose(f);
    text[*len] = '\0';
    return text;
}

/* Parses a fixture and checks the parse reported as many findings as it stored. */
static void parse_fixture(const char *name, struct tl__tsan_report_set *set)
{
    size_t len;
    char *text = read_fixture(name, &len);
    int n = tsan_report_parse(text, len, set);
    free(text);
    assert_int_equal(n, (int)set->nfindings);
}

static const struct tl__tsan_stack *stack_titled(const struct tl__tsan_finding *f,
                                                 const char *prefix)
{
    for (size_t i = 0; i < f->nstacks; i++)
        if (strncmp(f->stacks[i].title, prefix, strlen(prefix)) == 0)
            return &f->stacks[i];
    return NULL;
}

static void assert_suffix(const char *s, const char *suffix)
{
    assert_non_null(s);
    size_t n = strlen(s), m = strlen(suffix);
    assert_true(n >= m);
    assert_string_equal(s + n - m, suffix);
}

static void test_clang_merged_leaks(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("clang_worker_pool_partial_join.txt", &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_string_equal(f->kind, "thread leak");
    assert_int_equal(f->pid, 9073);
    assert_int_equal(f->count, 2); /* "And 1 more similar thread leaks." */
    assert_int_equal(f->leak_state, TL_TSAN_THREAD_FINISHED);
    assert_string_equal(f->created_by, "main thread");
    assert_string_equal(f->creator_function, "pool_start");
    assert_non_null(f->summary);
    assert_true(strncmp(f->summary, "SUMMARY: ThreadSanitizer: thread leak (", 39) == 0);
    assert_suffix(f->summary, " in pthread_create");

    assert_int_equal(f->nstacks, 1);
    const struct tl__tsan_stack *s = &f->stacks[0];
    assert_string_equal(s->title, "Thread T3 (tid=9077, finished) created by main thread at");
    assert_int_equal(s->nframes, 3);
    assert_int_equal(s->frames[0].index, 0);
    assert_string_equal(s->frames[0].function, "pthread_create");
    assert_null(s->frames[0].file); /* "<null>" */
    assert_int_equal(s->frames[0].line, 0);
    assert_string_equal(s->frames[0].module, "worker_pool_partial_join");
    assert_int_equal(s->frames[0].module_offset, 0x513cd);
    assert_int_equal(s->frames[1].index, 1);
    assert_string_equal(s->frames[1].file, "/work/main/tests/reference/worker_pool_partial_join.c");
    assert_int_equal(s->frames[1].line, 55);
    assert_int_equal(s->frames[1].column, 13);
    assert_string_equal(s->frames[2].function, "main");
    assert_int_equal(s->frames[2].module_offset, 0xd03cf); /* BuildId group skipped */
    assert_int_equal(set.reported_warnings, 1);
    assert_int_equal(set.reported_lines, 1);
    tsan_report_set_free(&set);
}

static void test_gcc_merged_leaks(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("gcc_worker_pool_partial_join.txt", &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_int_equal(f->count, 2);
    assert_string_equal(f->creator_function, "pool_start");
    assert_string_equal(f->summary, "SUMMARY: ThreadSanitizer: thread leak "
                                    "/work/main/tests/reference/worker_pool_partial_join.c:55 in "
                                    "pool_start");
    const struct tl__tsan_frame *top = &f->stacks[0].frames[0];
    assert_string_equal(top->file, "../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp");
    assert_int_equal(top->line, 1001);
    assert_int_equal(top->column, 0); /* gcc prints no column */
    assert_string_equal(top->module, "libtsan.so.2");
    assert_int_equal(top->module_offset, 0x5e686);
    tsan_report_set_free(&set);
}

static void check_two_leak_sites(const char *fixture)
{
    struct tl__tsan_report_set set;
    parse_fixture(fixture, &set);
    assert_int_equal(set.nfindings, 2);
    assert_int_equal(set.findings[0].count, 3);
    assert_string_equal(set.findings[0].creator_function, "start_prefetchers");
    assert_int_equal(set.findings[1].count, 1);
    assert_string_equal(set.findings[1].creator_function, "start_audit_writer");
    assert_int_equal(set.findings[0].pid, set.findings[1].pid);
    assert_int_equal(set.reported_warnings, 2);
    tsan_report_set_free(&set);
}

static void test_two_reports_one_process(void **state)
{
    (void)state;
    check_two_leak_sites("clang_two_leak_sites.txt");
    check_two_leak_sites("gcc_two_leak_sites.txt");
}

static void check_nested(const char *fixture)
{
    struct tl__tsan_report_set set;
    parse_fixture(fixture, &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_string_equal(f->created_by, "thread T1");
    assert_string_equal(f->creator_function, "supervisor_start_heartbeat");
    assert_int_equal(f->count, 1);
    assert_int_equal(f->stacks[0].nframes, 3);
    assert_string_equal(f->stacks[0].frames[2].function, "supervisor");
    tsan_report_set_free(&set);
}

static void test_created_by_thread(void **state)
{
    (void)state;
    check_nested("clang_nested_creation.txt");
    check_nested("gcc_nested_creation.txt");
}

static void test_cxx_creator_with_spaces(void **state)
{
    (void)state;
    static const char *const fixtures[] = {"clang_std_thread_leak.txt", "gcc_std_thread_leak.txt"};
    for (size_t i = 0; i < 2; i++) {
        struct tl__tsan_report_set set;
        parse_fixture(fixtures[i], &set);
        assert_int_equal(set.nfindings, 1);
        const struct tl__tsan_finding *f = &set.findings[0];
        assert_string_equal(f->creator_function,
                            "std::thread::_M_start_thread(std::unique_ptr<std::thread::_State, "
                            "std::default_delete<std::thread::_State> >, void (*)())");
        const struct tl__tsan_frame *fr = &f->stacks[0].frames[1];
        assert_null(fr->file);
        assert_string_equal(fr->module, "libstdc++.so.6");
        assert_int_equal(fr->module_offset, 0xd4578);
        tsan_report_set_free(&set);
    }
}

static void check_race(const char *fixture, const char *access)
{
    struct tl__tsan_report_set set;
    parse_fixture(fixture, &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_string_equal(f->kind, "data race");
    assert_int_equal(f->count, 1);
    assert_int_equal(f->leak_state, TL_TSAN_THREAD_UNKNOWN); /* leak fields only for leaks */
    assert_null(f->created_by);
    assert_null(f->creator_function);
    /* Access, previous access, two threads; "Location is global ..." is no stack. */
    assert_int_equal(f->nstacks, 4);
    assert_true(strncmp(f->stacks[0].title, access, strlen(access)) == 0);
    assert_non_null(stack_titled(f, "Previous write of size 4 at 0x"));
    const struct tl__tsan_stack *t2 = stack_titled(f, "Thread T2 ");
    assert_non_null(t2);
    assert_int_equal(t2->nframes, 2);
    assert_string_equal(f->stacks[0].frames[0].function, "record_hits");
    tsan_report_set_free(&set);
}

static void test_data_race(void **state)
{
    (void)state;
    check_race("clang_race_counter.txt", "Write of size 4 at 0x");
    check_race("gcc_race_counter.txt", "Read of size 4 at 0x");
}

static void check_inversion(const char *fixture)
{
    struct tl__tsan_report_set set;
    parse_fixture(fixture, &set);
    assert_int_equal(set.nfindings, 1);
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_string_equal(f->kind, "lock-order-inversion (potential deadlock)");
    assert_int_equal(f->nstacks, 4);
    assert_string_equal(f->stacks[0].title,
                        "Mutex M1 acquired here while holding mutex M0 in thread T1");
    assert_string_equal(f->stacks[1].title,
                        "Mutex M0 acquired here while holding mutex M1 in thread T2");
    assert_int_equal(f->stacks[0].nframes, 2);
    assert_string_equal(f->stacks[0].frames[0].function, "pthread_mutex_lock");
    assert_string_equal(f->stacks[0].frames[1].function, "run_transfer");
    assert_int_equal(f->stacks[0].frames[1].line, 32);
    tsan_report_set_free(&set);
}

static void test_lock_order_inversion(void **state)
{
    (void)state;
    check_inversion("clang_lock_order_inversion.txt");
    check_inversion("gcc_lock_order_inversion.txt");
}

static void test_signal_reports_clang(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("clang_signal_handler_unsafe.txt", &set);
    assert_int_equal(set.nfindings, 3);
    assert_string_equal(set.findings[0].kind, "signal-unsafe call inside of a signal");
    assert_string_equal(set.findings[1].kind, "signal-unsafe call inside of a signal");
    assert_string_equal(set.findings[2].kind, "signal handler spoils errno");
    /* These stacks have no title line. */
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_int_equal(f->nstacks, 1);
    assert_string_equal(f->stacks[0].title, "");
    assert_int_equal(f->stacks[0].nframes, 4);
    assert_string_equal(f->stacks[0].frames[0].function, "malloc");
    const struct tl__tsan_frame *handler = &f->stacks[0].frames[2];
    assert_string_equal(handler->function,
                        "__tsan::CallUserSignalHandler(__tsan::ThreadState*, bool, bool, int, "
                        "__sanitizer::__sanitizer_siginfo*, void*)");
    assert_string_equal(handler->file, "tsan_interceptors_posix.cpp.o"); /* no line at all */
    assert_int_equal(handler->line, 0);
    const struct tl__tsan_frame *errno_frame = &set.findings[2].stacks[0].frames[0];
    assert_string_equal(errno_frame->function, "on_dump_stats");
    assert_int_equal(errno_frame->line, 26);
    assert_int_equal(errno_frame->column, 0);
    assert_int_equal(set.reported_warnings, 3);
    tsan_report_set_free(&set);
}

static void test_signal_reports_gcc(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("gcc_signal_handler_unsafe.txt", &set);
    assert_int_equal(set.nfindings, 3);
    assert_string_equal(set.findings[2].kind, "signal handler spoils errno");
    assert_string_equal(set.findings[0].stacks[0].frames[2].function, "CallUserSignalHandler");
    assert_int_equal(set.findings[0].stacks[0].frames[2].line, 2005);
    tsan_report_set_free(&set);
}

static void test_crash_messages(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("clang_c11_threads_clean.txt", &set);
    assert_int_equal(set.nfindings, 0);
    assert_int_equal(set.reported_lines, 0);
    assert_true(set.nmessages >= 1);
    assert_int_equal(set.messages[0].pid, 29625);
    assert_true(
        strncmp(set.messages[0].text, "ERROR: ThreadSanitizer: SEGV on unknown address", 47) == 0);
    tsan_report_set_free(&set);
}

static void test_crash_messages_interleaved(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    /* Two threads crashed at once: "ThreadSanitizer==30613==ERROR: ..." */
    parse_fixture("clang_c11_threads_clean_interleaved.txt", &set);
    assert_int_equal(set.nfindings, 0);
    assert_int_equal(set.nmessages, 3);
    assert_int_equal(set.messages[0].pid, 30613);
    assert_true(
        strncmp(set.messages[0].text, "ERROR: ThreadSanitizer: SEGV on unknown address", 47) == 0);
    assert_string_equal(set.messages[1].text, "The signal is caused by a READ memory access.");
    tsan_report_set_free(&set);
}

static void test_several_processes(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("mixed_processes.txt", &set);
    assert_int_equal(set.nfindings, 2);
    assert_string_equal(set.findings[0].kind, "data race");
    assert_int_equal(set.findings[0].pid, 9499);
    assert_string_equal(set.findings[1].kind, "thread leak");
    assert_int_equal(set.findings[1].pid, 9503);
    assert_string_equal(set.findings[1].creator_function, "start_cache_warmup");
    assert_int_equal(set.reported_warnings, 2);
    assert_int_equal(set.reported_lines, 2);
    assert_int_equal(set.nmessages, 1);
    assert_int_equal(set.messages[0].pid, 9527);
    assert_true(strstr(set.messages[0].text, "starting new threads after multi-threaded fork"));
    tsan_report_set_free(&set);
}

static void test_interleaved_and_cut(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("edited_interleaved.txt", &set);
    assert_int_equal(set.nfindings, 2);
    const struct tl__tsan_finding *race = &set.findings[0];
    assert_string_equal(race->kind, "data race"); /* found after the glued-on prefix */
    assert_int_equal(race->pid, 31229);
    assert_int_equal(race->nstacks, 4); /* the noise lines made no stacks */
    assert_int_equal(race->stacks[0].nframes, 1);
    assert_non_null(race->summary);
    const struct tl__tsan_finding *cut = &set.findings[1];
    assert_string_equal(cut->kind, "thread leak");
    assert_null(cut->summary); /* the process died mid-report */
    assert_string_equal(cut->creator_function, "supervisor_start_heartbeat");
    assert_int_equal(cut->stacks[0].nframes, 3); /* last line had no newline */
    tsan_report_set_free(&set);
}

static void test_unknown_kind_crlf_and_odd_frames(void **state)
{
    (void)state;
    static const char text[] =
        "==================\r\n"
        "WARNING: ThreadSanitizer: heap-use-after-free (pid=77)\r\n"
        "  Read of size 8 at 0x7b0400000010 by main thread:\r\n"
        "    #0 <null> <null> (libc.so.6+0x29d8f)\r\n"
        "    #1 0x0 <null> (<unknown module>)\r\n"
        "\r\n"
        "SUMMARY: ThreadSanitizer: heap-use-after-free (libc.so.6+0x29d8f)\r\n"
        "==================\r\n"
        "WARNING: ThreadSanitizer: thread leak\r\n"
        "==================\n"
        "WARNING: ThreadSanitizer: thread leak (pid=78)\n"
        "  Thread T1 'flusher' (tid=79, running) created by thread T5 at:\n"
        "    #0 main /src/a.c:3 (a.out+0x10)\n"
        "SUMMARY: ThreadSanitizer: thread leak /src/a.c:3 in main\n";
    struct tl__tsan_report_set set;
    assert_int_equal(tsan_report_parse(text, sizeof text - 1, &set), 3);
    const struct tl__tsan_finding *f = &set.findings[0];
    assert_string_equal(f->kind, "heap-use-after-free");
    assert_int_equal(f->pid, 77);
    assert_string_equal(f->summary, "SUMMARY: ThreadSanitizer: heap-use-after-free "
                                    "(libc.so.6+0x29d8f)");
    assert_string_equal(f->stacks[0].title, "Read of size 8 at 0x7b0400000010 by main thread");
    assert_null(f->stacks[0].frames[0].function);
    assert_null(f->stacks[0].frames[0].file);
    assert_string_equal(f->stacks[0].frames[0].module, "libc.so.6");
    assert_int_equal(f->stacks[0].frames[0].module_offset, 0x29d8f);
    assert_string_equal(f->stacks[0].frames[1].function, "0x0");
    assert_null(f->stacks[0].frames[1].module);
    /* A leak report with no pid and no stack. */
    assert_int_equal(set.findings[1].pid, -1);
    assert_int_equal(set.findings[1].nstacks, 0);
    assert_null(set.findings[1].creator_function);
    /* A named thread, and a creation stack without a pthread_create frame to skip. */
    assert_int_equal(set.findings[2].leak_state, TL_TSAN_THREAD_RUNNING);
    assert_string_equal(set.findings[2].created_by, "thread T5");
    assert_null(set.findings[2].creator_function);
    tsan_report_set_free(&set);
}

static void test_length_is_respected(void **state)
{
    (void)state;
    size_t len;
    char *text = read_fixture("gcc_nested_creation.txt", &len);
    /* Stop just before "SUMMARY": the buffer goes on, but the parser must not read it. */
    const char *summary = strstr(text, "SUMMARY:");
    assert_non_null(summary);
    struct tl__tsan_report_set set;
    assert_int_equal(tsan_report_parse(text, (size_t)(summary - text), &set), 1);
    assert_null(set.findings[0].summary);
    assert_int_equal(set.reported_lines, 0);
    tsan_report_set_free(&set);

    assert_int_equal(tsan_report_parse(text, 0, &set), 0);
    assert_int_equal(set.nmessages, 0);
    tsan_report_set_free(&set);
    free(text);
}

static void test_no_tsan_output(void **state)
{
    (void)state;
    static const char text[] = "hello\n#1 not a report\nSUMMARY: all good\n==12== not tsan?\n";
    struct tl__tsan_report_set set;
    assert_int_equal(tsan_report_parse(text, sizeof text - 1, &set), 0);
    assert_int_equal(set.reported_warnings, 0);
    assert_int_equal(set.nmessages, 1); /* "==PID==" lines are kept whatever they say */
    assert_int_equal(set.messages[0].pid, 12);
    tsan_report_set_free(&set);
    tsan_report_set_free(NULL);
}

static char *write_json(const struct tl__tsan_report_set *set)
{
    char *json = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&json, &len);
    assert_non_null(out);
    assert_int_equal(tsan_report_write_json(out, set), 0);
    fclose(out);
    return json;
}

static void test_json(void **state)
{
    (void)state;
    struct tl__tsan_report_set set;
    parse_fixture("mixed_processes.txt", &set);
    char *json = write_json(&set);
    char err[128];
    struct tl__json *root = tl__json_parse(json, strlen(json), err, sizeof err);
    if (!root)
        fail_msg("invalid JSON: %s\n%s", err, json);

    const struct tl__json *findings = tl__json_get(root, "tsan_findings");
    assert_int_equal(tl__json_length(findings), 2);
    const struct tl__json *race = tl__json_index(findings, 0);
    assert_string_equal(tl__json_string(tl__json_get(race, "kind")), "data race");
    assert_int_equal(tl__json_int(tl__json_get(race, "pid")), 9499);
    assert_null(tl__json_get(race, "created_by")); /* leak fields only on leaks */
    const struct tl__json *frame =
        tl__json_index(tl__json_get(tl__json_index(tl__json_get(race, "stacks"), 0), "frames"), 0);
    assert_string_equal(tl__json_string(tl__json_get(frame, "function")), "record_hits");
    assert_int_equal(tl__json_int(tl__json_get(frame, "line")), 25);
    assert_true(tl__json_is_null(tl__json_get(frame, "column")));
    assert_string_equal(tl__json_string(tl__json_get(frame, "module")), "race_counter");
    assert_int_equal(tl__json_int(tl__json_get(frame, "offset")), 0x11ed);

    const struct tl__json *leak = tl__json_index(findings, 1);
    assert_int_equal(tl__json_int(tl__json_get(leak, "count")), 1);
    assert_string_equal(tl__json_string(tl__json_get(leak, "thread_state")), "finished");
    assert_string_equal(tl__json_string(tl__json_get(leak, "created_by")), "main thread");
    assert_string_equal(tl__json_string(tl__json_get(leak, "created_by_function")),
                        "start_cache_warmup");
    const struct tl__json *pthread_frame =
        tl__json_index(tl__json_get(tl__json_index(tl__json_get(leak, "stacks"), 0), "frames"), 0);
    assert_true(tl__json_is_null(tl__json_get(pthread_frame, "file")));

    const struct tl__json *messages = tl__json_get(root, "tsan_messages");
    assert_int_equal(tl__json_length(messages), 1);
    assert_int_equal(tl__json_int(tl__json_get(tl__json_index(messages, 0), "pid")), 9527);
    assert_int_equal(tl__json_int(tl__json_get(root, "reported_warnings")), 2);
    tl__json_free(root);
    free(json);
    tsan_report_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clang_merged_leaks),
        cmocka_unit_test(test_gcc_merged_leaks),
        cmocka_unit_test(test_two_reports_one_process),
        cmocka_unit_test(test_created_by_thread),
        cmocka_unit_test(test_cxx_creator_with_spaces),
        cmocka_unit_test(test_data_race),
        cmocka_unit_test(test_lock_order_inversion),
        cmocka_unit_test(test_signal_reports_clang),
        cmocka_unit_test(test_signal_reports_gcc),
        cmocka_unit_test(test_crash_messages),
        cmocka_unit_test(test_crash_messages_interleaved),
        cmocka_unit_test(test_several_processes),
        cmocka_unit_test(test_interleaved_and_cut),
        cmocka_unit_test(test_unknown_kind_crlf_and_odd_frames),
        cmocka_unit_test(test_length_is_respected),
        cmocka_unit_test(test_no_tsan_output),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
