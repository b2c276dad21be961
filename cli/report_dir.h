/* The report directory: the contract between the shim and the CLI. Every process under the shim
 * writes DIR/threadleak.PID.json (always) and DIR/threadleak.PID.txt (only when it leaked); the
 * CLI owns the directory, reads it after the run and removes it unless asked to keep it. */
#ifndef THREADLEAK_CLI_REPORT_DIR_H
#define THREADLEAK_CLI_REPORT_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* mkdtemp $TMPDIR/threadleak.XXXXXX (/tmp when TMPDIR is unset or empty), mode 0700, made
 * absolute. Returns 0, or -1 with a message in err. */
int report_dir_create_private(char *out, size_t outlen, char *err, size_t errlen);

/* The --keep-reports DIR: created when missing, and given a subdirectory of this run's own,
 * DIR/run.YYYYMMDDTHHMMSSZ.PID (a suffix .N when that exists), whose absolute path goes to out.
 * Runs sharing DIR (CI shards) thus never see each other's reports. The subdirectory is made with
 * mkdir, which fails when it exists, so a fresh one is always empty. Returns 0, or -1 with a
 * message in err. */
int report_dir_prepare_kept(const char *dir, char *out, size_t outlen, char *err, size_t errlen);

/* Whether dir directly holds threadleak.PID.json reports (false when it cannot be read). */
bool report_dir_holds_reports(const char *dir);

/* Removes a private directory and every file in it. Returns 0, or -1 with a message in err (for
 * example when a process still running wrote into it at the last moment). */
int report_dir_remove(const char *dir, char *err, size_t errlen);

/* Whether name is "threadleak.PID.EXT" with PID all digits; stores PID. ext is "json" or "txt". */
bool report_file_pid(const char *name, const char *ext, pid_t *pid);

#endif
