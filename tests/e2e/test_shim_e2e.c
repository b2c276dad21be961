/* End to end: programs from tests/programs run under the real `threadleak run`, and the merged
 * JSON report and exit status are checked. Arguments: CLI, "-" (no stub shim), the programs
 * directory, and the path of libthreadleak.so. */
#include "json_reader.h"
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *programs_dir;
static const char *shim_path;

struct run {
    struct cli_result cli;
    struct tl__json *report; /* the merged JSON; NULL when unreadable */
};

static char *program(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", programs_dir, name);
    return path;
}

/* Runs `threadleak run --json FILE [cli_options...] -- argv...` and parses the JSON. */
static struct run run_under_cli(const char *const *cli_options, const char *const *argv,
                                const char *const *env)
{
    char *dir = make_temp_dir();
    char json_path[4200];
    snprintf(json_path, sizeof json_path, "%s/merged.json", dir);
    const char *args[64];
    size_t n = 0;
    args[n++] = "run";
    args[n++] = "--json";
    args[n++] = json_path;
    for (size_t i = 0; cli_options && cli_options[i]; i++)
        args[n++] = cli_options[i];
    args[n++] = "--";
    for (size_t i = 0; argv[i]; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    struct run r = {.cli = cli_run(args, env)};
    char *text = read_text_file(json_path);
    if (text) {
        char err[256];
        r.report = tl__json_parse(text, strlen(text), err, sizeof err);
        if (!r.report)
            fprintf(stderr, "merged JSON unreadable: %s\n", err);
        free(text);
    }
    remove_tree(dir);
    free(dir);
    return r;
}

static void run_free(struct run *r)
{
    cli_result_free(&r->cli);
    tl__json_free(r->report);
}

static const struct tl__json *process_at(const struct run *r, size_t i)
{
    return tl__json_index(tl__json_get(r->report, "processes"), i);
}

static size_t leak_groups(const struct tl__json *process)
{
    return tl__json_length(tl__json_get(process, "leaks"));
}

static const struct tl__json *leak_at(const struct tl__json *process, size_t i)
{
    return tl__json_index(tl__json_get(process, "leaks"), i);
}

static const char *leak_string(const struct tl__json *leak, const char *key)
{
    return tl__json_string(tl__json_get(leak, key));
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = s ? strlen(s) : 0, lx = strlen(suffix);
    return s && ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* The one group of a single-process run, checked field by field. */
static void assert_single_leak(const struct run *r, const char *routine, const char *state,
                               int64_t count, const char *source)
{
    assert_non_null(r->report);
    const struct tl__json *process = process_at(r, 0);
    assert_int_equal(leak_groups(process), 1);
    const struct tl__json *leak = leak_at(process, 0);
    assert_string_equal(leak_string(leak, "start_routine"), routine);
    assert_string_equal(leak_string(leak, "state"), state);
    assert_int_equal(tl__json_int(tl__json_get(leak, "count")), count);
    const struct tl__json *creator = tl__json_get(leak, "created_by");
    assert_true(tl__json_bool(tl__json_get(creator, "main")));
    const struct tl__json *site = tl__json_index(tl__json_get(leak, "creation_stack"), 0);
    assert_true(ends_with(leak_string(site, "file"), source));
    assert_true(tl__json_int(tl__json_get(site, "line")) > 0);
    assert_non_null(strstr(r->cli.err, routine));
}

static void every_exit_path_reports_the_parked_thread(void **state)
{
    (void)state;
    static const char *const paths[] = {"return", "exit_from_thread", "_exit", "_Exit",
                                        "quick_exit"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        const char *argv[] = {program("exit_paths"), paths[i], NULL};
        struct run r = run_under_cli(NULL, argv, NULL);
        print_message("exit path %s: status %d\n", paths[i], r.cli.status);
        assert_int_equal(r.cli.status, 66);
        assert_single_leak(&r, "parked", "running", 1, "exit_paths.c");
        run_free(&r);
    }
}

static void last_thread_exit_after_main_pthread_exit(void **state)
{
    (void)state;
    static const char *const paths[] = {"main_pthread_exit", "main_pthread_exit_last_is_leak"};
    for (size_t i = 0; i < 2; i++) {
        const char *argv[] = {program("exit_paths"), paths[i], NULL};
        struct run r = run_under_cli(NULL, argv, NULL);
        assert_int_equal(r.cli.status, 66);
        assert_single_leak(&r, "finisher", "exited", 1, "exit_paths.c");
        run_free(&r);
    }
}

static void clean_program_keeps_status_and_prints_nothing(void **state)
{
    (void)state;
    const char *clean[] = {program("exit_paths"), "clean", NULL};
    struct run r = run_under_cli(NULL, clean, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_string_equal(r.cli.err, "");
    assert_int_equal(
        tl__json_int(tl__json_get(tl__json_get(r.report, "summary"), "leaked_threads")), 0);
    run_free(&r);

    const char *failing[] = {program("exit_status"), "3", NULL};
    r = run_under_cli(NULL, failing, NULL);
    assert_int_equal(r.cli.status, 3);
    assert_string_equal(r.cli.err, "");
    run_free(&r);
}

static void leak_status_only_replaces_success(void **state)
{
    (void)state;
    const char *failing_leaker[] = {program("exit_status"), "3", "leak", NULL};
    struct run r = run_under_cli(NULL, failing_leaker, NULL);
    assert_int_equal(r.cli.status, 3);
    assert_single_leak(&r, "done", "exited", 1, "exit_status.c");
    run_free(&r);

    const char *leaker[] = {program("exit_status"), "0", "leak", NULL};
    const char *custom[] = {"--exitcode", "9", NULL};
    r = run_under_cli(custom, leaker, NULL);
    assert_int_equal(r.cli.status, 9);
    run_free(&r);
}

/* Runs a shell command and returns its exit status; *text gets stdout and stderr together. */
static int shell(const char *command, char *text, size_t len)
{
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t got = fread(text, 1, len - 1, p);
    text[got] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void preload_alone_sets_the_status(void **state)
{
    (void)state;
    char command[8400], text[8192];
    snprintf(command, sizeof command, "env -u THREADLEAK_OPTIONS LD_PRELOAD=%s %s 0 leak 2>&1",
             shim_path, program("exit_status"));
    assert_int_equal(shell(command, text, sizeof text), 66);
    assert_non_null(strstr(text, "start routine: done"));
    assert_non_null(strstr(text, "finished but never joined"));
}

static void linked_not_preloaded(void **state)
{
    (void)state;
    char command[4200], text[8192];
    snprintf(command, sizeof command, "env -u LD_PRELOAD -u THREADLEAK_OPTIONS %s 0 leak 2>&1",
             program("linked_exit_status"));
    assert_int_equal(shell(command, text, sizeof text), 66);
    assert_non_null(strstr(text, "start routine: done"));
}

static void fork_child_reports_only_its_own_threads(void **state)
{
    (void)state;
    const char *argv[] = {program("fork_threads"), "child_leaks", NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 66);
    assert_non_null(r.report);
    const struct tl__json *processes = tl__json_get(r.report, "processes");
    assert_int_equal(tl__json_length(processes), 2);
    size_t leaking = 0;
    for (size_t i = 0; i < 2; i++) {
        const struct tl__json *process = tl__json_index(processes, i);
        if (leak_groups(process) == 0)
            continue;
        leaking++;
        const struct tl__json *leak = leak_at(process, 0);
        assert_string_equal(leak_string(leak, "start_routine"), "child_worker");
        assert_int_equal(tl__json_int(tl__json_get(leak, "count")), 1);
    }
    assert_int_equal(leaking, 1);
    run_free(&r);

    const char *clean[] = {program("fork_threads"), NULL};
    r = run_under_cli(NULL, clean, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_string_equal(r.cli.err, "");
    run_free(&r);
}

static void hundreds_of_threads_group_into_one(void **state)
{
    (void)state;
    const char *argv[] = {program("many_threads"), "600", NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 66);
    assert_single_leak(&r, "reader", "running", 300, "many_threads.c");
    const struct tl__json *leak = leak_at(process_at(&r, 0), 0);
    assert_int_equal(tl__json_length(tl__json_get(leak, "tids")), 300);
    run_free(&r);
}

static void thread_from_a_library_constructor(void **state)
{
    (void)state;
    const char *argv[] = {program("ctor_threads"), NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 66);
    assert_single_leak(&r, "early_bird", "exited", 1, "ctor_threads_lib.c");
    run_free(&r);
}

static void cxx_exceptions_still_use_libgcc(void **state)
{
    (void)state;
    const char *argv[] = {program("cxx_exceptions"), NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_non_null(strstr(r.cli.out, "caught 8"));
    run_free(&r);
}

static void shim_exports_no_unwinder_symbols(void **state)
{
    (void)state;
    char command[4200];
    snprintf(command, sizeof command, "nm -D --defined-only %s", shim_path);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    char line[512];
    size_t exported = 0;
    while (fgets(line, sizeof line, p)) {
        const char *name = strrchr(line, ' ');
        name = name ? name + 1 : line;
        exported++;
        assert_null(strstr(name, "_Unwind_"));
        assert_false(strcmp(name, "backtrace\n") == 0);
        assert_null(strstr(name, "_ULx86_64"));
        assert_null(strstr(name, "unw_"));
    }
    assert_int_equal(pclose(p), 0);
    assert_true(exported >= 16);
}

static void wrappers_behave_as_libc(void **state)
{
    (void)state;
    const char *argv[] = {program("libc_semantics"), NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    if (r.cli.status != 0)
        fprintf(stderr, "%s", r.cli.err);
    assert_int_equal(r.cli.status, 0);
    assert_non_null(strstr(r.cli.out, "0 failures"));
    run_free(&r);
}

static void linger_waits_for_a_finishing_thread(void **state)
{
    (void)state;
    const char *argv[] = {program("late_finisher"), "100", NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_string_equal(r.cli.err, "");
    run_free(&r);

    const char *short_linger[] = {"--linger-ms", "10", NULL};
    const char *slow[] = {program("late_finisher"), "2000", NULL};
    r = run_under_cli(short_linger, slow, NULL);
    assert_int_equal(r.cli.status, 66);
    assert_single_leak(&r, "flush_logs", "running", 1, "late_finisher.c");
    assert_true(tl__json_bool(tl__json_get(leak_at(process_at(&r, 0), 0), "detached")));
    run_free(&r);
}

static void tsan_mode_reports_only_finished_joinable(void **state)
{
    (void)state;
    const char *tsan[] = {"--mode", "tsan", NULL};
    const char *running[] = {program("exit_paths"), "return", NULL};
    struct run r = run_under_cli(tsan, running, NULL);
    assert_int_equal(r.cli.status, 0);
    run_free(&r);

    const char *finished[] = {program("exit_paths"), "main_pthread_exit", NULL};
    r = run_under_cli(tsan, finished, NULL);
    assert_int_equal(r.cli.status, 66);
    assert_single_leak(&r, "finisher", "exited", 1, "exit_paths.c");
    run_free(&r);
}

static void suppression_file_silences_a_leak(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char file[4200], option[4300];
    snprintf(file, sizeof file, "%s/supp.txt", dir);
    write_text_file(file, "# the parked thread is intended\nthread:parked\n", 0644);
    snprintf(option, sizeof option, "THREADLEAK_OPTIONS=suppressions=%s", file);
    const char *env[] = {option, NULL};
    const char *argv[] = {program("exit_paths"), "return", NULL};
    struct run r = run_under_cli(NULL, argv, env);
    assert_int_equal(r.cli.status, 0);
    const struct tl__json *summary = tl__json_get(process_at(&r, 0), "summary");
    assert_int_equal(tl__json_int(tl__json_get(summary, "suppressed")), 1);
    assert_int_equal(tl__json_int(tl__json_get(summary, "leaked")), 0);
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

static void bad_option_names_the_key(void **state)
{
    (void)state;
    /* The CLI refuses to start with a bad option; the shim alone says so and runs on. */
    const char *env[] = {"THREADLEAK_OPTIONS=lnger_ms=5", NULL};
    const char *argv[] = {program("exit_paths"), "clean", NULL};
    struct run r = run_under_cli(NULL, argv, env);
    assert_non_null(strstr(r.cli.err, "lnger_ms"));
    assert_int_equal(r.cli.status, 2);
    run_free(&r);

    char command[8400], text[8192];
    snprintf(command, sizeof command,
             "env THREADLEAK_OPTIONS=lnger_ms=5 LD_PRELOAD=%s %s clean 2>&1", shim_path,
             program("exit_paths"));
    assert_int_equal(shell(command, text, sizeof text), 0);
    assert_non_null(strstr(text, "threadleak: THREADLEAK_OPTIONS: unknown key 'lnger_ms'"));
}

static const char *find_binary(const char *const *candidates)
{
    for (size_t i = 0; candidates[i]; i++) {
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    }
    return NULL;
}

/* Writes a few MiB that compress in more than one block, so -T2 really uses threads. */
static char *make_compressible_file(const char *dir)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/input.bin", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint32_t x = 2463534242u;
    for (int i = 0; i < 6 * 1024 * 1024 / 4; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        uint32_t word = i % 8 ? x : 0x41414141u;
        fwrite(&word, sizeof word, 1, f);
    }
    fclose(f);
    return path;
}

static void python_daemon_thread_is_reported(void **state)
{
    (void)state;
    static const char *const pythons[] = {"/usr/bin/python3", NULL};
    const char *python = find_binary(pythons);
    if (!python)
        skip();
    const char *argv[] = {python, "-c",
                          "import threading, time\n"
                          "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()",
                          NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 66);
    const struct tl__json *leak = leak_at(process_at(&r, 0), 0);
    assert_int_equal(leak_groups(process_at(&r, 0)), 1);
    assert_string_equal(leak_string(leak, "state"), "running");
    assert_true(tl__json_bool(tl__json_get(leak, "detached")));
    assert_true(tl__json_bool(tl__json_get(tl__json_get(leak, "created_by"), "main")));
    run_free(&r);
}

static void zstd_with_two_threads_is_clean(void **state)
{
    (void)state;
    static const char *const zstds[] = {"/usr/bin/zstd", NULL};
    const char *zstd = find_binary(zstds);
    if (!zstd)
        skip();
    char *dir = make_temp_dir();
    char *input = make_compressible_file(dir);
    char output[4300];
    snprintf(output, sizeof output, "%s.zst", input);
    const char *argv[] = {zstd, "-T2", "-q", "-f", input, "-o", output, NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_string_equal(r.cli.err, "");
    assert_true(tl__json_int(tl__json_get(tl__json_get(process_at(&r, 0), "summary"),
                                          "threads_created")) >= 1);
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

/* xz 5.4 skips lzma_end() in release builds, so its liblzma worker is still waiting on a
 * condition variable when xz calls exit() (seen natively under gdb). That is a running leak by
 * definition; ThreadSanitizer's definition (finished, unjoined) does not include it. */
static void xz_with_two_threads_leaves_its_worker_waiting(void **state)
{
    (void)state;
    static const char *const xzs[] = {"/usr/bin/xz", NULL};
    const char *xz = find_binary(xzs);
    if (!xz)
        skip();
    char *dir = make_temp_dir();
    char *input = make_compressible_file(dir);
    const char *argv[] = {xz, "-T2", "-k", "-f", input, NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 66);
    const struct tl__json *leak = leak_at(process_at(&r, 0), 0);
    assert_string_equal(leak_string(leak, "state"), "running");
    assert_false(tl__json_bool(tl__json_get(leak, "detached")));
    const char *wait = tl__json_string(tl__json_index(tl__json_get(leak, "wait"), 0));
    assert_non_null(strstr(wait, "condition"));
    /* liblzma's worker_start is static and the library is stripped: the module and offset are
     * all there is, and enough for addr2line against its debug symbols. */
    const char *routine = leak_string(leak, "start_routine");
    assert_true(strncmp(routine, "liblzma.so.5", 12) == 0 && strstr(routine, "+0x"));
    run_free(&r);

    const char *tsan[] = {"--mode", "tsan", NULL};
    r = run_under_cli(tsan, argv, NULL);
    assert_int_equal(r.cli.status, 0);
    run_free(&r);
    remove_tree(dir);
    free(dir);
}

/* The shim adds no thread of its own unless asked to: programs that must stay single-threaded
 * (unshare(CLONE_NEWUSER), checks before fork) behave as without it. */
static void run_adds_no_thread_unless_asked(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c", "grep '^Threads:' /proc/$$/status", NULL};
    struct run r = run_under_cli(NULL, argv, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_non_null(strstr(r.cli.out, "Threads:\t1\n"));
    run_free(&r);

    const char *listener[] = {"--dump-listener", NULL};
    r = run_under_cli(listener, argv, NULL);
    assert_int_equal(r.cli.status, 0);
    assert_non_null(strstr(r.cli.out, "Threads:\t2\n"));
    run_free(&r);
}

int main(int argc, char **argv)
{
    cli_paths_from_args(argc, argv, 5);
    programs_dir = argv[3];
    shim_path = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_exit_path_reports_the_parked_thread),
        cmocka_unit_test(last_thread_exit_after_main_pthread_exit),
        cmocka_unit_test(clean_program_keeps_status_and_prints_nothing),
        cmocka_unit_test(leak_status_only_replaces_success),
        cmocka_unit_test(preload_alone_sets_the_status),
        cmocka_unit_test(linked_not_preloaded),
        cmocka_unit_test(fork_child_reports_only_its_own_threads),
        cmocka_unit_test(hundreds_of_threads_group_into_one),
        cmocka_unit_test(thread_from_a_library_constructor),
        cmocka_unit_test(cxx_exceptions_still_use_libgcc),
        cmocka_unit_test(shim_exports_no_unwinder_symbols),
        cmocka_unit_test(wrappers_behave_as_libc),
        cmocka_unit_test(linger_waits_for_a_finishing_thread),
        cmocka_unit_test(tsan_mode_reports_only_finished_joinable),
        cmocka_unit_test(suppression_file_silences_a_leak),
        cmocka_unit_test(bad_option_names_the_key),
        cmocka_unit_test(python_daemon_thread_is_reported),
        cmocka_unit_test(zstd_with_two_threads_is_clean),
        cmocka_unit_test(xz_with_two_threads_leaves_its_worker_waiting),
        cmocka_unit_test(run_adds_no_thread_unless_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
