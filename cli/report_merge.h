/* Merging the per-process reports of one run into what the user sees: one text report in pid
 * order (the target's first) and one JSON document that holds every per-process report object
 * verbatim. A report that is missing a field, truncated or not JSON at all becomes a warning that
 * names the file, and its process counts as unknown; the others are merged as usual. */
#ifndef THREADLEAK_CLI_REPORT_MERGE_H
#define THREADLEAK_CLI_REPORT_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The lock module's findings (`deadlocks`, `lock_order` and `misuse` arrays of the per-process
 * reports, docs/json-schema.md), over every readable report. Reports of the plain shim, and of
 * versions before the module, have none of the arrays: absent counts as empty. */
struct tl__lock_findings {
    unsigned long deadlocks;  /* items of `deadlocks`: one per live deadlock */
    unsigned long lock_order; /* items of `lock_order`: one per inversion cycle */
    unsigned long misuse;     /* items of `misuse` */
    unsigned processes;       /* readable reports with any of the three */
    bool target_deadlocked;   /* the target's own report has a deadlock */
};

/* One readable report, in the order of the JSON's "processes" array: where it came from, and its
 * text report when it has one (the JUnit and SARIF writers quote it). */
struct tl__merge_process {
    size_t dir; /* index into the directories merged */
    pid_t pid;
    char *text;  /* threadleak.PID.txt as read, NUL-terminated; NULL when none was read */
    char *label; /* its directory's `run --label` (run_label.h); NULL when none */
};

struct tl__merge_result {
    char *text;          /* the merged text report, "" when no process leaked */
    char *json;          /* {tool, version, schema, processes: [...], unreadable: [...], summary} */
    char *warnings;      /* one "threadleak: warning: ..." line per unusable file, "" when none */
    unsigned processes;  /* K: reports found, unreadable ones included */
    unsigned unreadable; /* reports that could not be used */
    unsigned leaking_processes;          /* M */
    unsigned long leaked_threads;        /* N, over all readable reports */
    unsigned long suppressed_by_default; /* runtimes' own threads, over all readable reports */
    struct tl__lock_findings locks;
    struct tl__merge_process *process; /* nprocess readable reports, as in the JSON */
    size_t nprocess;
};

/* Reads every DIR/threadleak.PID.json (and, for processes that leaked or have lock findings,
 * DIR/threadleak.PID.txt).
 * target_pid's report comes first, the others follow by ascending pid. With headers, each process's
 * text is preceded by one line naming it whenever more than one report was found. Returns 0, or -1
 * with errno set when the directory cannot be read or memory runs out; then *out is empty. */
int report_merge_dir(const char *dir, pid_t target_pid, struct tl__merge_result *out);

/* Members that another part of the CLI adds to the merged JSON (the ThreadSanitizer findings,
 * see tsan_gate.h). json is one complete JSON value; it is re-indented to nest. */
struct tl__merge_member {
    const char *key;
    const char *json;
};

struct tl__merge_extras {
    const struct tl__merge_member *top; /* top-level members, placed just before "summary" */
    size_t ntop;
    const struct tl__merge_member *summary; /* placed at the end of "summary" */
    size_t nsummary;
};

/* report_merge_dir, with extras added to the JSON document (NULL: none). */
int report_merge_dir_extras(const char *dir, pid_t target_pid,
                            const struct tl__merge_extras *extras, struct tl__merge_result *out);

/* Several report directories (runs) into one result, for `threadleak merge`: directory by
 * directory in the order given, each as report_merge_dir orders it. With more than one directory,
 * the JSON's "unreadable" entries are DIR/threadleak.PID.json paths rather than file names.
 * Returns 0, or -1 with errno set when a directory cannot be read or memory runs out. */
int report_merge_dirs(const char *const *dirs, size_t ndirs, pid_t target_pid,
                      const struct tl__merge_extras *extras, struct tl__merge_result *out);

void report_merge_free(struct tl__merge_result *r);

/* Writes a merged JSON document to path (`--json PATH`; "-" is stdout). 0, or -1 after a message
 * on stderr that names the path. */
int report_merge_write_json(const char *path, const char *json);

#endif
