/* THREADLEAK_OPTIONS under the real shim, preloaded alone as a new user would: a bad key or value
 * is named once and the other options still apply, and help=1 lists the options and lets the
 * program run. Arguments: CLI, "-" (no stub shim), the programs directory, and the path of
 * libthreadleak.so. */
#include "test_cli_helpers.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

static const char *programs_dir;
static const char *shim_path;

/* Runs exit_status (which leaks one finished thread) preloaded with options; returns its exit
 * status and puts stdout and stderr together into text. */
static int run_leaker(const char *options, char *text, size_t len)
{
    char command[16384];
    snprintf(command, sizeof command,
             "env THREADLEAK_OPTIONS=\"%s\" LD_PRELOAD=%s %s/exit_status 0 leak 2>&1", options,
             shim_path, programs_dir);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t got = fread(text, 1, len - 1, p);
    text[got] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static size_t occurrences(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static size_t files_ending_in(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, lx = strlen(suffix);
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        n += l >= lx && strcmp(e->d_name + l - lx, suffix) == 0;
    }
    closedir(d);
    return n;
}

/* The case: one typo used to drop http=, exitcode= and report_dir= with it. */
static void typo_keeps_the_other_options(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char options[4400], text[16384];
    snprintf(options, sizeof options,
             "http=127.0.0.1:0:exitcode=0:bogus_key=1:report_dir=%s:mode=fast", dir);
    int status = run_leaker(options, text, sizeof text);
    print_message("%s", text);
    assert_int_equal(status, 0); /* exitcode=0: the leak is reported, the status kept */
    assert_int_equal(occurrences(text, "threadleak: THREADLEAK_OPTIONS: unknown key 'bogus_key'"),
                     1);
    assert_int_equal(occurrences(text, "threadleak: THREADLEAK_OPTIONS: bad value 'fast' for "
                                       "'mode' (expected all or tsan)"),
                     1);
    assert_int_equal(occurrences(text, "THREADLEAK_OPTIONS:"), 2); /* one line per bad item */
    assert_non_null(strstr(text, "start routine: done"));
    assert_non_null(strstr(text, "threadleak: endpoint of process")); /* http= */
    assert_int_equal(files_ending_in(dir, ".json"), 1);               /* report_dir= */
    remove_tree(dir);
    free(dir);
}

static void typo_keeps_the_suppressions(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char file[4200], options[4400], text[16384];
    snprintf(file, sizeof file, "%s/supp.txt", dir);
    write_text_file(file, "thread:done\n", 0644);
    snprintf(options, sizeof options, "lnger_ms=5:suppressions=%s", file);
    assert_int_equal(run_leaker(options, text, sizeof text), 0); /* suppressed: no 66 */
    assert_int_equal(occurrences(text, "unknown key 'lnger_ms'"), 1);
    assert_null(strstr(text, "start routine: done"));
    remove_tree(dir);
    free(dir);
}

static void help_lists_the_options_once_and_runs_on(void **state)
{
    (void)state;
    char text[16384];
    int status = run_leaker("help=1:exitcode=7", text, sizeof text);
    print_message("%s", text);
    assert_int_equal(status, 7); /* the program ran, and exitcode=7 applied */
    assert_int_equal(occurrences(text, "threadleak: THREADLEAK_OPTIONS="), 1);
    assert_int_equal(occurrences(text, "\n  exitcode=66\n"), 1);
    assert_int_equal(occurrences(text, "\n  linger_ms=500\n"), 1);
    assert_int_equal(occurrences(text, "\n  mode=all\n"), 1);
    assert_int_equal(occurrences(text, "\n  dump_timeout_ms=1000\n"), 1);
    assert_int_equal(occurrences(text, "\n  help=0\n"), 1);
    assert_non_null(strstr(text, "start routine: done"));
}

int main(int argc, char **argv)
{
    cli_paths_from_args(argc, argv, 5);
    programs_dir = argv[3];
    shim_path = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typo_keeps_the_other_options),
        cmocka_unit_test(typo_keeps_the_suppressions),
        cmocka_unit_test(help_lists_the_options_once_and_runs_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
