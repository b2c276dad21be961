/* THREADLEAK_OPTIONS: sanitizer-style `key=value:key=value`, parsed once at start-up. */
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
    TL_STACKS_SIGNAL,   /* interrupt each thread with dump_signal and unwind it in the handler */
    TL_STACKS_NOSIGNAL, /* send no signals: creation stacks and /proc state only */
};

#define TL_HTTP_ADDR_MAX 256 /* `http=HOST:PORT`, NUL included */

struct tl__config {
    int exitcode;       /* status when leaks are found and the program exited 0 */
    unsigned linger_ms; /* how long to wait for running threads to finish */
    enum tl_mode mode;
    char report_dir[PATH_MAX];   /* "" = none; else one JSON (and text) file per process */
    char log_path[PATH_MAX];     /* "" = stderr; else the text report goes to PATH.PID */
    char suppressions[PATH_MAX]; /* "" = none; TSan syntax */
    enum tl_color color;
    int verbosity;
    bool quiet;                  /* no text report at all (the CLI prints a merged one) */
    char http[TL_HTTP_ADDR_MAX]; /* "" = no endpoint; else HOST:PORT, stored unchecked */
    enum tl__stacks stacks;
    int dump_signal;          /* 0 = pick a free SIGRTMIN+k; else 1..64 */
    unsigned dump_timeout_ms; /* how long a live dump waits for the threads to answer */
};

void options_defaults(struct tl__config *cfg);

/* Parses text over the defaults already in cfg. On error returns -1 and writes a one-line message
 * that names the offending key or value into err. NULL or "" text is valid and changes nothing. */
int options_parse(const char *text, struct tl__config *cfg, char *err, size_t errlen);

/* The known keys in table order, for --help and the docs. False when index is past the end. */
bool options_key_info(size_t index, const char **name, const char **help);

/* Where the text report goes: false for stderr; else writes log_path.PID into out, as TSan's
 * log_path does. False as well when out is too small (the caller then falls back to stderr). */
bool options_log_file(const struct tl__config *cfg, long pid, char *out, size_t outlen);

#endif
