/* The endpoint tests' program under the shim: started with http= and a private report_dir,
 * found through its port file, stopped with SIGTERM and checked for a clean exit report. The
 * functions assert with cmocka. */
#ifndef THREADLEAK_TEST_ENDPOINT_TARGET_H
#define THREADLEAK_TEST_ENDPOINT_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

struct target {
    pid_t pid;
    char dir[256];      /* its report_dir, a fresh temporary directory */
    char err_path[300]; /* its stdout and stderr */
    char where[64];     /* "127.0.0.1:PORT" once the port file appeared */
};

/* Starts `prog mode seconds` with LD_PRELOAD=shim and THREADLEAK_OPTIONS=http=address:
 * report_dir=DIR (plus extra_env, "NAME=VALUE" or NULL). With expect_port, waits for the port
 * file and for the program's "ready". */
struct target target_start_env(const char *shim, const char *prog, const char *mode,
                               const char *seconds, const char *address, bool expect_port,
                               const char *extra_env);
struct target target_start(const char *shim, const char *prog, const char *mode,
                           const char *seconds, const char *address, bool expect_port);

/* SIGTERM; asserts a clean exit (status 0, "heartbeats=" printed, no leak in the JSON report)
 * and removes the directory. */
void target_stop(struct target *t);

void target_make_dir(char *out, size_t len);
void target_remove_dir(const char *dir);

#endif
