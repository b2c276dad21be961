/* THREADLEAK_OPTIONS: sanitizer-style `key=value:key=value`, parsed once at start-up. The options
 * themselves are the lines of options.inc; this header turns them into struct tl__config. */
#ifndef THREADLEAK_OPTIONS_H
#define THREADLEAK_OPTIONS_H

#include <limits.h>
#ifndef PATH_MAX /* <limits.h> only defines it for POSIX or GNU builds */
#include <linux/limits.h>
#endif
#include <stdbool.h>
#include <stddef.h>

enum tl_mode {
    TL_MODE_ALL,  /* running threads and finished-but-unjoined threads are leaks */
    TL_MODE_TSAN, /* only finished-but-unjoined threads, as ThreadSanitizer reports them */
};

enum tl_color { TL_COLOR_AUTO, TL_COLOR_ALWAYS, TL_COLOR_NEVER };

/* How live stack dumps reach running threads. */
enum tl__stacks {
    TL_STACKS_SIGNAL,    /* signal threads a handler cannot disturb; take the rest from /proc */
    TL_STACKS_NOSIGNAL,  /* send no signals: creation stacks and /proc state only */
    TL_STACKS_INTERRUPT, /* signal every thread, even in poll or nanosleep: EINTR there */
};

/* What the lock module does when it finds a live deadlock (docs/locks.md). */
enum tl__deadlock_action {
    TL_DEADLOCK_REPORT, /* print it, write the report, and let the threads wait as libc would */
    TL_DEADLOCK_ABORT,  /* print it, write the report, and abort() */
};

#define TL_HTTP_ADDR_MAX   256     /* `http=HOST:PORT`, NUL included */
#define TL_LABEL_MAX       128     /* `label=`, in bytes, as `threadleak run --label` */
#define TL__OPTION_MS_MAX  600000u /* ten minutes: a longer wait is surely a typo */
#define TL__OPTION_SIG_MAX 64

#define TL__OPTION_WINDOW_MAX_S 604800u /* a week of growth history */

/* The types of options.inc, as stored in struct tl__config. What each accepts (and so its
 * parser) is option_type_TYPE in options.c. */
typedef int tl__option_exit_status;                   /* 0..255 */
typedef unsigned tl__option_wait_ms;                  /* 0..TL__OPTION_MS_MAX */
typedef unsigned tl__option_timeout_ms;               /* 1..TL__OPTION_MS_MAX: 0 would never wait */
typedef unsigned tl__option_window_s;                 /* 1..TL__OPTION_WINDOW_MAX_S */
typedef int tl__option_verbosity;                     /* 0..3 */
typedef int tl__option_signal;                        /* 0 = pick one, else 1..TL__OPTION_SIG_MAX */
typedef bool tl__option_flag;                         /* 0 or 1 */
typedef enum tl_mode tl__option_mode;                 /* all or tsan */
typedef enum tl_color tl__option_color;               /* auto, always or never */
typedef enum tl__stacks tl__option_stacks;            /* signal or nosignal */
typedef enum tl__deadlock_action tl__option_deadlock; /* report or abort */
typedef char tl__option_path[PATH_MAX];               /* "" = none */
typedef char tl__option_log_path[PATH_MAX];           /* a path, and "stderr" stands for "" */
typedef char tl__option_host_port[TL_HTTP_ADDR_MAX]; /* stored unchecked; ':PORT' needs no quotes */
typedef char tl__option_label[TL_LABEL_MAX + 1];     /* no control characters; "" = none */

/* One field per line of options.inc, named after its key. */
struct tl__config {
#define TL__OPTION(type, name, default_value, help) tl__option_##type name;
#include "options.inc"
#undef TL__OPTION
};

/* Every option at its default: a copy of a constant made by the compiler from options.inc, so
 * that start-up parses nothing. */
void options_defaults(struct tl__config *cfg);

/* The defaults as a static initializer, for a struct tl__config that must hold them before any
 * code runs (the shim's, whose start-up then copies nothing):
 *     struct tl__config cfg = {
 *     #define TL__OPTION TL__OPTION_DEFAULT
 *     #include "options.inc"
 *     #undef TL__OPTION
 *     };
 * A string default initialises a char array field; options.c checks that each DEFAULT fits. */
#define TL__OPTION_DEFAULT(type, name, default_value, help) .name = default_value,

/* Called once for each bad item of the text, in order, with a one-line message naming it. */
typedef void tl__options_warn_fn(void *ctx, const char *message);

/* Parses text over what cfg holds (the defaults, or an earlier text): every good `key=value`
 * applies, in order, so later keys win; every bad one is skipped and reported to warn (which may
 * be NULL), as the sanitizers do. Returns the number of bad items. NULL or "" text is valid and
 * changes nothing. Allocates nothing and calls no stdio: it runs in the shim's constructor. */
size_t options_apply(const char *text, struct tl__config *cfg, tl__options_warn_fn *warn,
                     void *ctx);

/* options_apply for callers that want one verdict: returns 0 when every item was good, else -1
 * with the first bad item's message in err. The good items have applied either way. */
int options_parse(const char *text, struct tl__config *cfg, char *err, size_t errlen);

/* The known keys in table order, for help=1 and the docs. False when index is past the end. */
bool options_key_info(size_t index, const char **name, const char **help);

/* The default of option index as THREADLEAK_OPTIONS would spell it: "66", "all", "" (the string
 * options). False when index is past the end or out is too small. */
bool options_key_default(size_t index, char *out, size_t outlen);

/* help=1's entry for option index: "  KEY=DEFAULT\n      HELP (ACCEPTED VALUES)\n", cut to
 * outlen. False when index is past the end. */
bool options_help_entry(size_t index, char *out, size_t outlen);

/* The shim's tl__options_warn_fn: "threadleak: THREADLEAK_OPTIONS: MESSAGE" on stderr, one line
 * in one write(2), without stdio, which may not be ready yet. ctx is unused. */
void options_warn_stderr(void *ctx, const char *message);

/* help=1: every option's help entry on stderr after a line naming THREADLEAK_OPTIONS; no stdio. */
void options_print_help(void);

/* Where the text report goes: false for stderr; else writes log_path.PID into out, as TSan's
 * log_path does. False as well when out is too small (the caller then falls back to stderr). */
bool options_log_file(const struct tl__config *cfg, long pid, char *out, size_t outlen);

#endif
