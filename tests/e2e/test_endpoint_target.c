/* Starting and stopping the endpoint tests' program. */
#include "test_endpoint_target.h"

#include "json_reader.h"
#include "test_endpoint_http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void target_make_dir(char *out, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, len, "%s/tl-endpoint-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(out));
}

void target_remove_dir(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void wait_ready(const struct target *t)
{
    for (int i = 0; i < 1500; i++) {
        char *out = slurp(t->err_path, NULL);
        bool ready = out && strstr(out, "ready\n");
        free(out);
        if (ready)
            break;
        usleep(10000);
    }
    usleep(100000); /* let the threads reach their blocking calls */
}

struct target target_start_env(const char *shim, const char *prog, const char *mode,
                               const char *seconds, const char *address, bool expect_port,
                               const char *extra_env)
{
    struct target t = {0};
    target_make_dir(t.dir, sizeof t.dir);
    snprintf(t.err_path, sizeof t.err_path, "%s/output.txt", t.dir);
    static char options[512], preload[512];
    if (address)
        snprintf(options, sizeof options, "THREADLEAK_OPTIONS=http=%s:report_dir=%s", address,
                 t.dir);
    else
        snprintf(options, sizeof options, "THREADLEAK_OPTIONS=report_dir=%s", t.dir);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
    const char *env[] = {options, preload, extra_env, NULL};
    char *argv[] = {(char *)prog, (char *)mode, (char *)seconds, NULL};
    t.pid = start_program(argv, env, t.err_path);
    assert_true(t.pid > 0);
    if (!expect_port)
        return t;
    if (address) {
        char port_file[400];
        snprintf(port_file, sizeof port_file, "%s/threadleak.%ld.http", t.dir, (long)t.pid);
        char *line = wait_for_line_file(port_file, 15000);
        if (!line)
            fail_msg("no %s; program output:\n%s", port_file, slurp(t.err_path, NULL));
        snprintf(t.where, sizeof t.where, "%s", line);
        free(line);
    }
    wait_ready(&t);
    return t;
}

struct target target_start(const char *shim, const char *prog, const char *mode,
                           const char *seconds, const char *address, bool expect_port)
{
    return target_start_env(shim, prog, mode, seconds, address, expect_port, NULL);
}

void target_stop(struct target *t)
{
    assert_true(process_alive(t->pid));
    kill(t->pid, SIGTERM);
    int status = wait_exit(t->pid, 30000);
    char *out = slurp(t->err_path, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("status %d; output:\n%s", status, out ? out : "");
    assert_non_null(strstr(out, "heartbeats="));
    free(out);
    char report[400];
    snprintf(report, sizeof report, "%s/threadleak.%ld.json", t->dir, (long)t->pid);
    size_t len;
    char *text = slurp(report, &len);
    assert_non_null(text);
    struct tl__json *root = tl__json_parse(text, len, NULL, 0);
    assert_non_null(root);
    assert_int_equal(tl__json_length(tl__json_get(root, "leaks")), 0);
    tl__json_free(root);
    free(text);
    target_remove_dir(t->dir);
}
