/* AddressSanitizer and LeakSanitizer findings in `threadleak run`. Every ASan- or LSan-
 * instrumented process of the run writes its reports to REPORT_DIR/asan.PID (ASAN_OPTIONS and
 * LSAN_OPTIONS log_path, see asan_env.h). After the run the CLI collects them here, as
 * tsan_gate.c does for TSan: one merged set of findings, rendered as JSON values for the merged
 * report and as a text section printed after the leak report. */
#ifndef THREADLEAK_CLI_ASAN_GATE_H
#define THREADLEAK_CLI_ASAN_GATE_H

#include "asan_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TL_ASAN_FRAMES_SHOWN 4 /* frames per stack or leak in the text section */
#define TL_ASAN_LEAKS_SHOWN  8 /* leaks per report in the text section; the JSON has them all */

struct tl__asan_gate {
    /* Every finding and message of every log: the target's first, then by pid. A finding whose
     * ERROR line had no pid gets the pid of its log file. */
    struct tl__asan_report_set set;
    unsigned logs;               /* asan.* files read */
    bool target_leak_reported;   /* PROG's own process printed a LeakSanitizer report */
    bool target_error_reported;  /* PROG's own process printed an AddressSanitizer error */
    unsigned long leak_reports;  /* LeakSanitizer reports (at most one per process) */
    unsigned long error_reports; /* AddressSanitizer error reports */
    unsigned long leaked_bytes;  /* over every leak report */
    unsigned long leaked_allocations;
    size_t processes;    /* processes with at least one finding */
    char *findings_json; /* a JSON array value (asan_report_write_findings), "[]" when none */
    char *messages_json; /* a JSON array value: [{pid, text}] */
    char *text;          /* the text section; "" when there are no findings and no messages */
    char *warnings;      /* one "threadleak: warning: ..." line per unreadable log, or "" */
};

/* Reads every DIR/asan.PID (and DIR/asan.EXE.PID). Returns 0, or -1 with errno set when the
 * directory cannot be read or memory runs out. A log that cannot be read becomes a warning.
 * Release *out with asan_gate_free either way. */
int asan_gate_collect(const char *dir, pid_t target, struct tl__asan_gate *out);

void asan_gate_free(struct tl__asan_gate *g);

/* For --keep-reports DIR: refuses (-1, message in err) a DIR that already holds ASan logs. */
int asan_gate_check_dir(const char *dir, char *err, size_t errlen);

#endif
