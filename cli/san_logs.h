/* The sanitizers' log files in a report directory: LOG_NAME.PID, or LOG_NAME.EXE.PID under
 * log_exe_name=1 (TSan's DIR/tsan.PID, ASan's and LSan's DIR/asan.PID). */
#ifndef THREADLEAK_CLI_SAN_LOGS_H
#define THREADLEAK_CLI_SAN_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
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

/* What a gate does with one log: read it (relative to dirfd; dir for messages), keep what it
 * found, and write a warning line to warnings for a log it cannot use. 0, or -1 with errno set
 * when it must stop (memory). */
typedef int san_log_reader(void *ctx, int dirfd, const char *dir, const struct tl__san_log *log,
                           FILE *warnings);

/* Every log named PREFIX.* in dir, the target's first, given to read; the warnings it wrote are
 * left in *warnings (malloc'd, "" when none). Returns 0, or -1 with errno set when dir cannot be
 * read, memory runs out or read failed. */
int san_logs_read(const char *dir, const char *prefix, pid_t target, san_log_reader *read,
                  void *ctx, char **warnings);

/* For --keep-reports: -1 with err set ("--keep-reports DIR already holds WHAT logs (NAME); use an
 * empty directory") when dir holds a log named PREFIX.*; 0 when it holds none or is missing
 * (report_dir_prepare_kept creates it or says why not). */
int san_logs_check_dir(const char *dir, const char *prefix, const char *what, char *err,
                       size_t errlen);

#endif
