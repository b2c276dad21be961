/* The findings of a merged report as CI formats see them (`--junit`, `--sarif`): one list of
 * findings, each with its rule, its process, where it happened (the first frame in the source
 * tree) and a one-line message, read from the merged JSON document (docs/json-schema.md) that
 * `run` and `merge` write. The JUnit and SARIF writers only lay this list out, so both formats
 * always agree on what was found. Not async-signal-safe; the CLI only. */
#ifndef THREADLEAK_CLI_CI_FINDINGS_H
#define THREADLEAK_CLI_CI_FINDINGS_H

#include "report_merge.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl__json;

/* One rule per kind of finding; the table in ci_findings.c gives each its stable id and name. */
enum tl__ci_rule {
    TL_CI_LEAK_RUNNING,
    TL_CI_LEAK_UNJOINED,
    TL_CI_SELF_LOCK,
    TL_CI_LOCK_CYCLE,
    TL_CI_DEADLOCK_OTHER,
    TL_CI_LOCK_ORDER,
    TL_CI_UNLOCK_NOT_OWNER,
    TL_CI_UNLOCK_UNLOCKED,
    TL_CI_DESTROY_LOCKED,
    TL_CI_EXIT_HOLDING_LOCK,
    TL_CI_COND_WRONG_MUTEX,
    TL_CI_LOCK_DESTROYED,
    TL_CI_JOIN_DETACHED,
    TL_CI_DOUBLE_JOIN,
    TL_CI_MISUSE_OTHER,
    TL_CI_TSAN_RACE,
    TL_CI_TSAN_OTHER,
    TL_CI_MEMORY_LEAK,
    TL_CI_ASAN_ERROR,
    TL_CI_NRULES
};

struct tl__ci_rule_info {
    const char *id;         /* "TL1001": stable across versions, what fingerprints hash */
    const char *name;       /* "LeakedRunningThread" */
    const char *key;        /* the report's own word: "running", "lock_cycle", "data race" */
    const char *short_text; /* one sentence */
    const char *full_text;  /* what it means and what to do */
    unsigned fail_on;       /* the --fail-on category (enum tl__fail_on) */
};

const struct tl__ci_rule_info *ci_rule_info(enum tl__ci_rule rule);

/* A frame, from any of the reports' frame shapes (function, file, line, module). */
struct tl__ci_frame {
    const char *function; /* never NULL: "??" when unknown */
    const char *file;     /* NULL when unknown */
    long line;            /* 0 when unknown */
    const char *module;   /* NULL when unknown */
};

struct tl__ci_finding {
    enum tl__ci_rule rule;
    size_t process;             /* index into the model's processes; SIZE_MAX when none */
    unsigned long count;        /* threads of a leak group, times a misuse happened; else 1 */
    const char *start_routine;  /* the thread's start routine; NULL when none applies */
    struct tl__ci_frame *stack; /* innermost first; the frames shown as the code flow */
    size_t nstack;
    size_t site;          /* index into stack of the located frame; SIZE_MAX: none */
    char *message;        /* one line: what, which start routine, where */
    char fingerprint[17]; /* 16 hex digits: rule, start routine, function and file */
    bool failing;         /* its category is in --fail-on */
};

/* A process of the run: one JUnit test case. */
struct tl__ci_process {
    long pid;
    const char *exe;         /* NULL when unknown */
    char *name;              /* "LABEL: command line", or the command line; unique ("... [2]") */
    const char *label;       /* its run's --label; NULL when none */
    const char *text;        /* its text report; NULL when none */
    size_t dir;              /* the report directory it came from */
    const char *undelivered; /* not NULL: it delivered no report, and this says why */
};

struct tl__ci_model {
    struct tl__json *root;
    struct tl__ci_process *process;
    size_t nprocess;
    struct tl__ci_finding *finding;
    size_t nfinding;
    char source_root[PATH_MAX]; /* absolute, without a trailing slash ("" for /) */
};

/* Reads the merged document json and the per-process texts of m into *model, whose findings
 * fail when their category is in fail_on. source_root is the directory SARIF locations are
 * relative to (NULL: the working directory). Returns 0, or -1 with a message in err. */
int ci_model_build(const char *json, const struct tl__merge_result *m, unsigned fail_on,
                   const char *source_root, struct tl__ci_model *model, char *err, size_t errlen);

void ci_model_free(struct tl__ci_model *model);

/* The frame that names finding f: its site, else (no frame has a file) the first frame whose
 * function is known, else the first; NULL for an empty stack. */
const struct tl__ci_frame *ci_finding_frame(const struct tl__ci_finding *f);

/* The path of frame->file as a URI reference for SARIF: relative to the source root when the file
 * is in it (*in_tree true), else an absolute file:// URI; percent-encoded. NULL without a file or
 * when memory runs out. The result is malloc'd. */
char *ci_frame_uri(const struct tl__ci_model *model, const struct tl__ci_frame *frame,
                   bool *in_tree);

/* The source root as an absolute file:// URI ending in '/', for SARIF's originalUriBaseIds;
 * malloc'd. */
char *ci_root_uri(const struct tl__ci_model *model);

/* "dir/file.c:42 in func" (the path relative to the source root, else the file's base name), or
 * "func" without a file; malloc'd, NULL when memory runs out. */
char *ci_frame_text(const struct tl__ci_model *model, const struct tl__ci_frame *frame);

#endif
