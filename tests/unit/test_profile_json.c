/* profile_json.c: the fixture's JSON read back with the strict reader, member by member, against
 * docs/threads-json-schema.md. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "profile_fixture.h"
#include "profile_json.h"

static struct tl__json *render_and_parse(void)
{
    struct thread_profile p;
    fixture_profile(&p);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(profile_write_json(out, &p), 0);
    assert_int_equal(fclose(out), 0);
    thread_profile_free(&p);
    char err[256] = "";
    struct tl__json *root = tl__json_parse(text, len, err, sizeof err);
    if (!root)
        fail_msg("invalid JSON: %s", err);
    free(text);
    return root;
}

static const struct tl__json *thread_with_tid(const struct tl__json *root, int64_t tid)
{
    const struct tl__json *threads = tl__json_get(root, "threads");
    for (size_t i = 0; i < tl__json_length(threads); i++) {
        if (tl__json_int(tl__json_get(tl__json_index(threads, i), "tid")) == tid)
            return tl__json_index(threads, i);
    }
    fail_msg("no thread %lld", (long long)tid);
    return NULL;
}

static void test_header_and_totals(void **state)
{
    (void)state;
    struct tl__json *root = render_and_parse();
    assert_string_equal(tl__json_string(tl__json_get(root, "tool")), "threadleak");
    assert_string_equal(tl__json_string(tl__json_get(root, "kind")), "threads");
    assert_int_equal(tl__json_int(tl__json_get(root, "schema")), PROFILE_JSON_SCHEMA);
    assert_int_equal(tl__json_int(tl__json_get(root, "pid")), FIXTURE_PID);
    assert_string_equal(tl__json_string(tl__json_get(root, "stacks")), "signal");
    const struct tl__json *totals = tl__json_get(root, "totals");
    assert_int_equal(tl__json_int(tl__json_get(totals, "threads")), FIXTURE_THREADS);
    assert_int_equal(tl__json_int(tl__json_get(totals, "created_total")), FIXTURE_CREATED);
    assert_int_equal(tl__json_int(tl__json_get(totals, "exited_unjoined")), FIXTURE_EXITED_UNJ);
    const struct tl__json *by_state = tl__json_get(totals, "by_state");
    assert_int_equal(tl__json_int(tl__json_get(by_state, "waiting")), 6);
    assert_int_equal(tl__json_int(tl__json_get(by_state, "running")), 1);
    assert_int_equal(tl__json_int(tl__json_get(by_state, "exited_unjoined")), 1);
    assert_int_equal(tl__json_length(tl__json_get(root, "threads")), FIXTURE_THREADS);
    tl__json_free(root);
}

static void test_worker_thread(void **state)
{
    (void)state;
    struct tl__json *root = render_and_parse();
    const struct tl__json *w = thread_with_tid(root, FIXTURE_WORKER_TID);
    assert_string_equal(tl__json_string(tl__json_get(w, "name")), "worker");
    assert_true(tl__json_bool(tl__json_get(w, "tracked")));
    assert_int_equal(tl__json_int(tl__json_get(w, "serial")), 2);
    assert_string_equal(tl__json_string(tl__json_get(w, "state")), "waiting");
    assert_int_equal(tl__json_int(tl__json_get(w, "state_ms")), 5000);
    assert_false(tl__json_bool(tl__json_get(w, "state_ms_at_least")));
    assert_string_equal(tl__json_string(tl__json_get(w, "wait")), FIXTURE_WAIT);
    assert_string_equal(tl__json_string(tl__json_get(w, "kernel_state")), "S");
    assert_string_equal(tl__json_string(tl__json_get(w, "start_routine")), FIXTURE_WORKER_FN);
    const struct tl__json *creator = tl__json_get(w, "created_by");
    assert_int_equal(tl__json_int(tl__json_get(creator, "tid")), FIXTURE_PID);
    assert_true(tl__json_bool(tl__json_get(creator, "main")));
    const struct tl__json *stack = tl__json_get(w, "current_stack");
    assert_int_equal(tl__json_length(stack), 5); /* 4 locations, one with an inlined line */
    const struct tl__json *inlined = tl__json_index(stack, 0);
    assert_true(tl__json_bool(tl__json_get(inlined, "inlined")));
    assert_true(tl__json_is_null(tl__json_get(inlined, "offset")));
    assert_string_equal(tl__json_string(tl__json_get(inlined, "pc")), "0x7f0000001000");
    const struct tl__json *frame = tl__json_index(stack, 3);
    assert_string_equal(tl__json_string(tl__json_get(frame, "function")), FIXTURE_WORKER_FN);
    assert_string_equal(tl__json_string(tl__json_get(frame, "file")), FIXTURE_WORKER_FILE);
    assert_int_equal(tl__json_int(tl__json_get(frame, "line")), FIXTURE_WORKER_LINE);
    assert_string_equal(tl__json_string(tl__json_get(frame, "offset")), "0x1b");
    assert_false(tl__json_bool(tl__json_get(frame, "inlined")));
    const struct tl__json *start = tl__json_index(stack, 4);
    assert_true(tl__json_is_null(tl__json_get(start, "file")));
    assert_true(tl__json_is_null(tl__json_get(start, "line")));
    const struct tl__json *creation = tl__json_get(w, "creation_stack");
    assert_int_equal(tl__json_length(creation), 2);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(creation, 0), "function")),
                        FIXTURE_SPAWN_FN);
    tl__json_free(root);
}

static void test_threads_without_stacks_and_names(void **state)
{
    (void)state;
    struct tl__json *root = render_and_parse();
    const struct tl__json *exited = thread_with_tid(root, FIXTURE_EXITED_TID);
    assert_string_equal(tl__json_string(tl__json_get(exited, "state")), "exited_unjoined");
    assert_true(tl__json_is_null(tl__json_get(exited, "current_stack")));
    assert_string_equal(tl__json_string(tl__json_get(exited, "stack_status")), "exited");
    assert_true(tl__json_is_null(tl__json_get(exited, "wait")));

    const struct tl__json *untracked = thread_with_tid(root, FIXTURE_UNTRACKED);
    assert_false(tl__json_bool(tl__json_get(untracked, "tracked")));
    assert_true(tl__json_is_null(tl__json_get(untracked, "serial")));
    assert_true(tl__json_is_null(tl__json_get(untracked, "created_by")));
    assert_true(tl__json_is_null(tl__json_get(untracked, "start_routine")));
    assert_string_equal(tl__json_string(tl__json_get(untracked, "stack_status")),
                        "signals blocked");

    const struct tl__json *nasty = thread_with_tid(root, FIXTURE_NASTY_TID);
    assert_string_equal(tl__json_string(tl__json_get(nasty, "name")), FIXTURE_NASTY_NAME);
    assert_true(tl__json_bool(tl__json_get(nasty, "state_ms_at_least")));
    assert_string_equal(tl__json_string(tl__json_get(nasty, "start_routine")), FIXTURE_NASTY_FN);

    const struct tl__json *main_thread = thread_with_tid(root, FIXTURE_PID);
    assert_true(tl__json_bool(tl__json_get(main_thread, "main")));
    assert_true(tl__json_is_null(tl__json_get(main_thread, "created_by")));
    tl__json_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_totals),
        cmocka_unit_test(test_worker_thread),
        cmocka_unit_test(test_threads_without_stacks_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
