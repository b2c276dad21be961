/* Asking a process under the shim for a thread dump, from the outside (common/dump_protocol.h).
 * Used by `threadleak dump PID` and by `threadleak run --timeout`. */
#ifndef THREADLEAK_CLI_DUMP_REQUEST_H
#define THREADLEAK_CLI_DUMP_REQUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef PATH_MAX
#include <linux/limits.h>
#endif

/* Why a process cannot be asked for a dump. */
enum dump_target_status {
    DUMP_TARGET_OK,
    DUMP_TARGET_GONE,          /* no such process (or a zombie) */
    DUMP_TARGET_NO_ACCESS,     /* /proc/PID is not readable: another user's process */
    DUMP_TARGET_NO_SHIM,       /* libthreadleak.so is not mapped */
    DUMP_TARGET_NOT_LISTENING, /* the shim is there, but its dump listener is not */
    DUMP_TARGET_FOREIGN,       /* the program handles the request signal itself */
};

/* Checks pid: the shim mapped, the request signal caught. On anything but DUMP_TARGET_OK, why
 * holds one line for the user. */
enum dump_target_status dump_target_check(pid_t pid, char *why, size_t whylen);

/* The report_dir the process was started with (THREADLEAK_OPTIONS in /proc/PID/environ): true and
 * the path in out, false when it has none or its environment is unreadable. */
bool dump_target_report_dir(pid_t pid, char *out, size_t outlen);

/* Sends the request signal carrying request. 0, or -1 with errno. */
int dump_request_send(pid_t pid, long request);

/* A request number unlikely to repeat: from the time and the CLI's pid. */
long dump_request_number(void);

/* Waits until REPORT_DIR/threadleak.PID.dump.txt names request, at most timeout_s; returns the
 * file's text (malloc'd), or NULL on timeout. Polls every 20 ms. */
char *dump_request_wait(const char *report_dir, pid_t pid, long request, double timeout_s);

#endif
