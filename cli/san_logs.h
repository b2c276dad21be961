/* The sanitizers' log files in a report directory: LOG_NAME.PID, or LOG_NAME.EXE.PID under
 * log_exe_name=1 (TSan's DIR/tsan.PID, ASan's and LSan's DIR/asan.PID). */
#ifndef THREADLEAK_CLI_SAN_LOGS_H
#define THREADLEAK_CLI_SAN_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tl__san_log {
    pid_t pid;
    char name[256];
};

/* Whether name is "PREFIX.PID" or "PREFIX.ANYTHING.PID" with PID all digits; stores PID. */
bool san_log_pid(const char *name, const char *prefix, pid_t *pid);

/* The logs named PREFIX.* in the directory dirfd, the target's first, then by pid. NULL with
 * errno set on failure; otherwise a malloc'd array of *count entries (possibly 0). */
struct tl__san_log *san_logs_list(int dirfd, const char *prefix, pid_t target, size_t *count);

#endif
