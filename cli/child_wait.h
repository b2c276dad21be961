/* Running the target as the CLI's child, forwarding the signals a user sends to stop it, and
 * waiting afterwards for the processes it left behind (which PR_SET_CHILD_SUBREAPER hands to the
 * CLI instead of to init), so that their reports are written before the CLI reads the directory. */
#ifndef THREADLEAK_CLI_CHILD_WAIT_H
#define THREADLEAK_CLI_CHILD_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A descendant still running when the CLI stopped waiting. */
struct tl__straggler {
    pid_t pid;
    char comm[32];
};

/* Makes the CLI a child subreaper, resets SIGCHLD to its default (an inherited SIG_IGN would make
 * the kernel reap the target before the CLI sees its status), blocks SIGCHLD for sigtimedwait, and
 * installs the forwarders for SIGINT, SIGTERM, SIGHUP and SIGQUIT (a signal the CLI inherited as
 * ignored, as under nohup, stays ignored, and the target inherits that). Returns 0 or -1. */
int child_setup(void);

/* Forks and executes path with argv (argv[0] is left as the user wrote it) in the environment the
 * caller has set up. Returns the child's pid, or -1 with *exec_errno set to why fork or exec failed
 * (exec failures come back through a close-on-exec pipe; the child is reaped). */
pid_t child_spawn(const char *path, char *const argv[], int *exec_errno);

/* Waits for pid and returns its wait status. Forwards the four signals to it while it runs;
 * descendants that exit meanwhile are reaped too. */
int child_wait_prog(pid_t pid);

/* After the target has exited: reaps descendants until none is left, timeout_s passes, or one of
 * the forwarded signals arrives (a user asking the CLI to stop). Returns how many are still
 * running; up to max of them are described in out, and *waited_s says how long it waited. */
size_t child_wait_descendants(double timeout_s, struct tl__straggler *out, size_t max,
                              double *waited_s);

/* The wait status of pid when the CLI reaped it (child_wait_prog, child_wait_descendants): the
 * target, and orphans that PR_SET_CHILD_SUBREAPER handed to the CLI. False when it did not. */
bool child_wait_reaped_status(pid_t pid, int *wstatus);

/* The exit status of the CLI for a wait status: the code, or 128 + signal number. */
int child_exit_status(int wstatus);

/* Undoes child_setup's signal changes (for tests that run in-process). */
void child_teardown(void);

#endif
