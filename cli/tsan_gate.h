/* ThreadSanitizer findings in `threadleak run`. Every TSan-instrumented process of the run writes
 * its reports to REPORT_DIR/tsan.PID (TSAN_OPTIONS log_path, see tsan_env.h). After the run the
 * CLI collects them here: one merged set of findings, rendered as JSON values for the merged
 * report and as a compact text section printed after the leak report. */
#ifndef THREADLEAK_CLI_TSAN_GATE_H
#define THREADLEAK_CLI_TSAN_GATE_H

#include "tsan_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TL_TSAN_FRAMES_SHOWN 4 /* frames per stack in the text section; the JSON has them all */

struct tl__tsan_gate {
    /* Every finding and `==PID==` message of every log: the target's first, then by pid. A
     * finding whose WARNING line had no pid gets the pid of its log file. */
    struct tl__tsan_report_set set;
    unsigned logs;        /* tsan.* files read */
    bool target_reported; /* the target's own process reported at least one finding */
    char *findings_json;  /* a JSON array value (tsan_report_write_findings), "[]" when none */
    char *messages_json;  /* a JSON array value: [{pid, text}] */
    char *text;           /* the text section; "" when there are no findings and no messages */
    char *warnings;       /* one "threadleak: warning: ..." line per unreadable log, or "" */
};

/* Reads every DIR/tsan.PID (and DIR/tsan.EXE.PID, written under log_exe_name=1). Returns 0, or -1
 * with errno set when the directory cannot be read or memory runs out (*out is then empty). A log
 * that cannot be read becomes a warning. Release *out with tsan_gate_free either way. */
int tsan_gate_collect(const char *dir, pid_t target, struct tl__tsan_gate *out);

void tsan_gate_free(struct tl__tsan_gate *g);

/* Whether name is a TSan log, "tsan.PID" or "tsan.ANYTHING.PID" with PID all digits; stores PID. */
bool tsan_log_pid(const char *name, pid_t *pid);

/* For --keep-reports DIR: refuses (-1, message in err) a DIR that already holds TSan logs, which
 * would be collected as if this run had written them. 0 when there are none or DIR is missing. */
int tsan_gate_check_dir(const char *dir, char *err, size_t errlen);

#endif
