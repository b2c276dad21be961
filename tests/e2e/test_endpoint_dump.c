/* On-demand thread dumps end to end: `threadleak dump PID` against a process whose dump listener
 * runs (THREADLEAK_DUMP_LISTENER=1), against one without it, one not under threadleak at all and
 * one that does not exist; and `threadleak run --timeout 2s` on a hung program, which must end
 * with a dump naming the blocked function and exit status 124.
 *
 * Arguments: the shim, test_endpoint_prog, the artifacts directory (unused), the CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_endpoint_http.h"
#include "test_endpoint_target.h"

static const char *shim_path, *prog_path, *cli_path;

struct cli_run {
    int status; /* exit status, or 128 + signal */
    char *out, *err;
};

/* Runs the CLI with args (argv[0] excluded, NULL-terminated) and extra env, in dir. */
static struct cli_run run_cli(const char *dir, const char *const *args, const char *const *env)
{
    char out_path[400], err_path[400];
    snprintf(out_path, sizeof out_path, "%s/cli.out", dir);
    snprintf(err_path, sizeof err_path, "%s/cli.err", dir);
    const char *argv[32] = {cli_path};
    size_t n = 1;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        execv(cli_path, (char *const *)argv);
        _exit(127);
    }
    int status = wait_exit(pid, 120000);
    struct cli_run r = {
        .status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
        .out = slurp(out_path, NULL),
        .err = slurp(err_path, NULL),
    };
    return r;
}

static void cli_run_free(struct cli_run *r)
{
    free(r->out);
    free(r->err);
}

static bool matches(const char *pattern, const char *s)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
    bool ok = s && regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static void assert_full_dump(const char *text, pid_t pid)
{
    char header[128];
    snprintf(header, sizeof header, "threadleak: thread dump of process %ld (request ", (long)pid);
    assert_non_null(strstr(text, header));
    assert_true(matches(
        "^blocked_in_cond_wait\\(\\.\\.\\.\\)\n\t[^\n]*test_endpoint_prog\\.c:[0-9]+", text));
    assert_true(matches("^created by main thread at:$", text));
    assert_true(
        matches("^threadleak: end of thread dump of process [0-9]+ \\(request [0-9]+\\)$", text));
}

/* Whether pid maps a library whose path contains name. */
static bool maps_library(pid_t pid, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
    char *maps = slurp(path, NULL);
    assert_non_null(maps);
    bool found = strstr(maps, name) != NULL;
    free(maps);
    return found;
}

static size_t task_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
    DIR *d = opendir(path);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_dump_of_a_listening_process(void **state)
{
    (void)state;
    char listener[] = "THREADLEAK_DUMP_LISTENER=1";
    struct target t =
        target_start_env(shim_path, prog_path, "blocked", "300", NULL, true, listener);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)t.pid);
    /* the listener alone loads none of the endpoint's libraries */
    assert_false(maps_library(t.pid, "libthreadleak_http.so"));
    assert_false(maps_library(t.pid, "libmicrohttpd"));
    for (int round = 0; round < 3; round++) {
        struct cli_run r = run_cli(t.dir, (const char *[]){"dump", pid, NULL}, NULL);
        if (r.status != 0)
            fail_msg("status %d: %s", r.status, r.err);
        assert_full_dump(r.out, t.pid);
        cli_run_free(&r);
    }
    char *own = slurp(t.err_path, NULL); /* the process wrote them to its stderr too */
    assert_full_dump(own, t.pid);
    free(own);
    target_stop(&t); /* it kept running, and exits cleanly: the listener is not a leak */
}

/* Whether any thread of pid has this name (comm). */
static bool has_thread_named(pid_t pid, const char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
    DIR *d = opendir(path);
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char comm_path[400], comm[32] = "";
        snprintf(comm_path, sizeof comm_path, "%s/%s/comm", path, e->d_name);
        FILE *f = fopen(comm_path, "re");
        if (f && fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = '\0';
        if (f)
            fclose(f);
        found = strcmp(comm, name) == 0;
    }
    if (d)
        closedir(d);
    return found;
}

/* The program replaced the listener's handler with its own: a request would run the program's
 * handler, so the CLI must refuse it, and the program's handler must never run. */
static void test_refuses_a_program_handling_the_signal(void **state)
{
    (void)state;
    char listener[] = "THREADLEAK_DUMP_LISTENER=1";
    struct target t =
        target_start_env(shim_path, prog_path, "own_handler", "300", NULL, true, listener);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)t.pid);
    /* The services thread notices within one idle wake (250 ms); allow for a loaded machine. */
    for (int i = 0; i < 100 && has_thread_named(t.pid, "threadleak"); i++)
        usleep(50000);
    struct cli_run r = run_cli(t.dir, (const char *[]){"dump", "--timeout", "2s", pid, NULL}, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "handles the dump request signal itself"));
    cli_run_free(&r);
    usleep(200000);
    char *out = slurp(t.err_path, NULL);
    assert_null(strstr(out, "own handler ran"));
    free(out);
    target_stop(&t);
}

static void test_refusals(void **state)
{
    (void)state;
    /* under the shim, but not listening: not signalled (the signal would kill it) */
    struct target quiet = target_start(shim_path, prog_path, "blocked", "300", NULL, true);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)quiet.pid);
    /* without http= nor the listener, threadleak adds no thread and maps no module */
    assert_int_equal(task_count(quiet.pid), 6);
    assert_false(maps_library(quiet.pid, "libthreadleak_http.so"));
    struct cli_run r = run_cli(quiet.dir, (const char *[]){"dump", pid, NULL}, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "does not listen for dump requests"));
    cli_run_free(&r);
    assert_true(process_alive(quiet.pid));
    target_stop(&quiet);

    /* not under threadleak at all */
    char dir[256];
    target_make_dir(dir, sizeof dir);
    char log[400];
    snprintf(log, sizeof log, "%s/plain.txt", dir);
    char *argv[] = {(char *)prog_path, "blocked", "300", NULL};
    pid_t plain = start_program(argv, NULL, log);
    usleep(200000);
    snprintf(pid, sizeof pid, "%ld", (long)plain);
    r = run_cli(dir, (const char *[]){"dump", pid, NULL}, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "is not running under threadleak"));
    cli_run_free(&r);
    assert_true(process_alive(plain));
    kill(plain, SIGTERM);
    assert_true(WIFEXITED(wait_exit(plain, 30000)));

    /* no such process; and usage errors */
    r = run_cli(dir, (const char *[]){"dump", "9999999999", NULL}, NULL);
    assert_int_equal(r.status, 2); /* beyond any pid: a usage error */
    cli_run_free(&r);
    r = run_cli(dir, (const char *[]){"dump", "4194303", NULL}, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no process 4194303"));
    cli_run_free(&r);
    r = run_cli(dir, (const char *[]){"dump", "--timeout", "soon", "1", NULL}, NULL);
    assert_int_equal(r.status, 2);
    cli_run_free(&r);
    target_remove_dir(dir);
}

static void test_run_timeout_dumps_then_kills(void **state)
{
    (void)state;
    char dir[256];
    target_make_dir(dir, sizeof dir);
    char shim_env[512];
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", shim_path);
    struct cli_run r =
        run_cli(dir, (const char *[]){"run", "--timeout", "2s", "--", prog_path, "hung", NULL},
                (const char *[]){shim_env, NULL});
    if (r.status != 124)
        fail_msg("status %d; stderr:\n%s", r.status, r.err);
    assert_non_null(strstr(r.err, "still running after 2 s"));
    assert_true(matches("^threadleak: thread dump of process [0-9]+ \\(request [0-9]+\\)", r.err));
    assert_true(matches("^blocked_in_cond_wait\\(\\.\\.\\.\\)$", r.err));
    /* main, stuck in the join (unless the machine was too slow for it to get there yet) */
    if (!matches("^thread [0-9]+ \"test_endpoint_p\" \\[futex wait \\(join tid [0-9]+\\)", r.err))
        print_message("# main was not in pthread_join yet at the dump\n");
    assert_non_null(strstr(r.err, "threadleak: killed process "));
    cli_run_free(&r);
    target_remove_dir(dir);
}

/* The first DIR/threadleak.PID.http: its pid, and the address in where. */
/* The endpoint file threadleak.PID.http in dir or, for --keep-reports DIR, in the run's own
 * subdirectory DIR/run.*; 0 when there is none yet. */
static pid_t scan_for_endpoint(const char *dir, char *where, size_t len, bool descend)
{
    DIR *d = opendir(dir);
    pid_t found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (descend && strncmp(e->d_name, "run.", 4) == 0) {
            found = scan_for_endpoint(path, where, len, false);
            continue;
        }
        long pid;
        char tail[16];
        if (sscanf(e->d_name, "threadleak.%ld.%15s", &pid, tail) != 2 || strcmp(tail, "http") != 0)
            continue;
        char *line = wait_for_line_file(path, 1000);
        assert_non_null(line);
        snprintf(where, len, "%s", line);
        free(line);
        found = (pid_t)pid;
    }
    if (d)
        closedir(d);
    return found;
}

static pid_t find_endpoint(const char *dir, char *where, size_t len)
{
    for (int i = 0; i < 1500; i++) {
        pid_t pid = scan_for_endpoint(dir, where, len, true);
        if (pid)
            return pid;
        usleep(10000);
    }
    fail_msg("no endpoint file in %s", dir);
    return -1;
}

/* `threadleak run --http 127.0.0.1:0`: the endpoint in the program, and `threadleak dump` of it
 * (every process of a run listens). SIGTERM to the CLI reaches the program, which ends cleanly. */
static void test_run_with_http_and_dump(void **state)
{
    (void)state;
    char dir[256], kept[300], log[300];
    target_make_dir(dir, sizeof dir);
    snprintf(kept, sizeof kept, "%s/reports", dir);
    snprintf(log, sizeof log, "%s/run.txt", dir);
    static char shim_env[512];
    snprintf(shim_env, sizeof shim_env, "THREADLEAK_SHIM=%s", shim_path);
    char *argv[] = {(char *)cli_path, "run", "--http", "127.0.0.1:0",
                    "--keep-reports", kept,  "--",     (char *)prog_path,
                    "blocked",        "300", NULL};
    pid_t cli = start_program(argv, (const char *[]){shim_env, NULL}, log);
    char where[64];
    pid_t prog = find_endpoint(kept, where, sizeof where);
    struct http_reply r = {0};
    for (int i = 0; i < 100 && !(r.body && strstr(r.body, "blocked_in_cond_wait(...)")); i++) {
        http_reply_free(&r);
        usleep(50000); /* until every thread is started */
        r = http_get(where, "/debug/threads?debug=2");
    }
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "blocked_in_cond_wait(...)"));
    http_reply_free(&r);
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)prog);
    struct cli_run d = run_cli(dir, (const char *[]){"dump", pid, NULL}, NULL);
    if (d.status != 0)
        fail_msg("dump: status %d: %s", d.status, d.err);
    assert_full_dump(d.out, prog);
    cli_run_free(&d);
    kill(cli, SIGTERM);
    int status = wait_exit(cli, 60000);
    char *out = slurp(log, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("threadleak run: status %d; output:\n%s", status, out ? out : "");
    free(out);
    target_remove_dir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s SHIM PROGRAM ARTIFACTS CLI\n", argv[0]);
        return 2;
    }
    shim_path = argv[1];
    prog_path = argv[2];
    cli_path = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_of_a_listening_process),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_refuses_a_program_handling_the_signal),
        cmocka_unit_test(test_run_timeout_dumps_then_kills),
        cmocka_unit_test(test_run_with_http_and_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
