/* Running a program under a hard timeout, for the corpus checker and the TSan gate tests.
 *
 * The program runs in a process group of its own; on timeout the whole group gets SIGKILL, so a
 * TSan build that hangs at exit (main called pthread_exit) dies together with the threadleak CLI
 * that supervises it. Whatever is left in the group when the program exits is killed as well.
 * stdout and stderr go to memory files (memfd), so nothing has to be drained while waiting. */
#ifndef THREADLEAK_PROC_RUN_H
#define THREADLEAK_PROC_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct proc_spec {
    const char *const *argv; /* argv[0] is the file executed; NULL-terminated */
    const char *const *env;  /* "NAME=VALUE" sets, "NAME" unsets; NULL-terminated; may be NULL */
    double timeout_s;        /* > 0 */
};

struct proc_result {
    int status;     /* exit code, or 128+N when signal N killed it (137 after a timeout) */
    bool timed_out; /* we killed it */
    char *out;      /* stdout, NUL-terminated */
    char *err;      /* stderr, NUL-terminated */
    double seconds; /* wall-clock time until it exited or was killed */
};

/* Runs spec and fills *r. Returns 0, or -1 with errno set when the program could not be started
 * (an exec failure is status 127 with a message in r->err, as in a shell). */
int proc_run(const struct proc_spec *spec, struct proc_result *r);

void proc_result_free(struct proc_result *r);

#endif
