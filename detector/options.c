/* THREADLEAK_OPTIONS parser.
 *
 * It runs in the shim's constructor, possibly before malloc or stdio are usable, so nothing here
 * allocates or calls stdio: values are sliced out of the caller's text and copied into the fixed
 * buffers of struct tl__config, and error messages are assembled by hand.
 *
 * Each key is one row of `option_table`: its name, a function that parses and stores its value,
 * and a help line. A new key is a new field, a new setter and a new row. */
#include "options.h"

#include <stdint.h>
#include <string.h>

#define DEFAULT_EXITCODE        66
#define DEFAULT_LINGER_MS       500u
#define MAX_WAIT_MS             600000u /* ten minutes: beyond this a value is surely a typo */
#define DEFAULT_DUMP_TIMEOUT_MS 1000u
#define MAX_VERBOSITY           3
#define MAX_SIGNAL              64
#define QUOTED_VALUE_MAX        40 /* longer values are cut in messages, to keep them one line */

/* Bounded, always NUL-terminated appends into the caller's error buffer. */
struct text_builder {
    char *buf;
    size_t cap;
    size_t len;
};

static struct text_builder builder_over(char *buf, size_t cap)
{
    struct text_builder b = {buf, buf ? cap : 0, 0};
    if (b.cap)
        b.buf[0] = '\0';
    return b;
}

static void append_bytes(struct text_builder *b, const char *s, size_t n)
{
    if (!b->cap)
        return;
    size_t room = b->cap - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void append(struct text_builder *b, const char *s)
{
    append_bytes(b, s, strlen(s));
}

static void append_unsigned(struct text_builder *b, unsigned long v)
{
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    append_bytes(b, digits + n, sizeof digits - n);
}

/* 'text', cut with "..." when long, so that a 4 KiB path does not swamp the message. */
static void append_quoted(struct text_builder *b, const char *s, size_t n)
{
    append(b, "'");
    if (n > QUOTED_VALUE_MAX) {
        append_bytes(b, s, QUOTED_VALUE_MAX);
        append(b, "...");
    } else {
        append_bytes(b, s, n);
    }
    append(b, "'");
}

/* A key's value as it appears in the options text, quotes already removed. Not NUL-terminated. */
struct opt_value {
    const char *text;
    size_t len;
};

struct option;
typedef bool (*option_setter)(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                              struct text_builder *err);

enum option_flag {
    OPT_HOST_PORT = 1u << 0, /* an unquoted value may hold one `:PORT` and `[...]` with colons */
};

struct option {
    const char *name;
    option_setter set;
    unsigned flags;
    const char *help;
};

static bool value_is(struct opt_value v, const char *word)
{
    return strlen(word) == v.len && memcmp(v.text, word, v.len) == 0;
}

static void bad_value(const struct option *opt, struct opt_value v, struct text_builder *err)
{
    append(err, "bad value ");
    append_quoted(err, v.text, v.len);
    append(err, " for '");
    append(err, opt->name);
    append(err, "' (expected ");
}

/* Plain decimal digits only: no sign, no spaces, no hex, so that typos are caught. */
static bool parse_number(const struct option *opt, struct opt_value v, unsigned long min,
                         unsigned long max, unsigned long *out, struct text_builder *err)
{
    unsigned long n = 0;
    bool ok = v.len > 0;
    for (size_t i = 0; ok && i < v.len; i++) {
        unsigned digit = (unsigned)(v.text[i] - '0');
        /* n * 10 + digit <= max, without overflowing */
        ok = digit <= 9 && digit <= max && n <= (max - digit) / 10;
        n = n * 10 + digit;
    }
    if (ok && n >= min) {
        *out = n;
        return true;
    }
    bad_value(opt, v, err);
    append(err, "an integer ");
    append_unsigned(err, min);
    append(err, "..");
    append_unsigned(err, max);
    append(err, ")");
    return false;
}

/* words is NULL-terminated; the index of the match is the enum value. */
static bool parse_word(const struct option *opt, struct opt_value v, const char *const *words,
                       int *out, struct text_builder *err)
{
    size_t count = 0;
    for (; words[count]; count++) {
        if (value_is(v, words[count])) {
            *out = (int)count;
            return true;
        }
    }
    bad_value(opt, v, err);
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            append(err, i + 1 == count ? " or " : ", ");
        append(err, words[i]);
    }
    append(err, ")");
    return false;
}

static bool parse_string(const struct option *opt, struct opt_value v, char *dst, size_t size,
                         struct text_builder *err)
{
    if (v.len >= size) {
        append(err, "value for '");
        append(err, opt->name);
        append(err, "' is too long (");
        append_unsigned(err, v.len);
        append(err, " bytes, at most ");
        append_unsigned(err, size - 1);
        append(err, ")");
        return false;
    }
    memcpy(dst, v.text, v.len);
    dst[v.len] = '\0';
    return true;
}

static bool set_exitcode(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                         struct text_builder *err)
{
    unsigned long n;
    if (!parse_number(opt, v, 0, 255, &n, err))
        return false;
    cfg->exitcode = (int)n;
    return true;
}

static bool set_linger_ms(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                          struct text_builder *err)
{
    unsigned long n;
    if (!parse_number(opt, v, 0, MAX_WAIT_MS, &n, err))
        return false;
    cfg->linger_ms = (unsigned)n;
    return true;
}

static bool set_mode(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                     struct text_builder *err)
{
    static const char *const words[] = {[TL_MODE_ALL] = "all", [TL_MODE_TSAN] = "tsan", NULL};
    int mode;
    if (!parse_word(opt, v, words, &mode, err))
        return false;
    cfg->mode = (enum tl_mode)mode;
    return true;
}

static bool set_report_dir(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                           struct text_builder *err)
{
    return parse_string(opt, v, cfg->report_dir, sizeof cfg->report_dir, err);
}

static bool set_log_path(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                         struct text_builder *err)
{
    /* "stderr" is TSan's spelling of the default; the config says stderr with "". */
    if (value_is(v, "stderr"))
        v.len = 0;
    return parse_string(opt, v, cfg->log_path, sizeof cfg->log_path, err);
}

static bool set_suppressions(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                             struct text_builder *err)
{
    return parse_string(opt, v, cfg->suppressions, sizeof cfg->suppressions, err);
}

static bool set_color(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                      struct text_builder *err)
{
    static const char *const words[] = {
        [TL_COLOR_AUTO] = "auto", [TL_COLOR_ALWAYS] = "always", [TL_COLOR_NEVER] = "never", NULL};
    int color;
    if (!parse_word(opt, v, words, &color, err))
        return false;
    cfg->color = (enum tl_color)color;
    return true;
}

static bool set_verbosity(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                          struct text_builder *err)
{
    unsigned long n;
    if (!parse_number(opt, v, 0, MAX_VERBOSITY, &n, err))
        return false;
    cfg->verbosity = (int)n;
    return true;
}

static bool set_quiet(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                      struct text_builder *err)
{
    static const char *const words[] = {"0", "1", NULL};
    int quiet;
    if (!parse_word(opt, v, words, &quiet, err))
        return false;
    cfg->quiet = quiet == 1;
    return true;
}

static bool set_http(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                     struct text_builder *err)
{
    return parse_string(opt, v, cfg->http, sizeof cfg->http, err);
}

static bool set_stacks(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                       struct text_builder *err)
{
    static const char *const words[] = {
        [TL_STACKS_SIGNAL] = "signal", [TL_STACKS_NOSIGNAL] = "nosignal", NULL};
    int stacks;
    if (!parse_word(opt, v, words, &stacks, err))
        return false;
    cfg->stacks = (enum tl__stacks)stacks;
    return true;
}

static bool set_dump_signal(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                            struct text_builder *err)
{
    unsigned long n;
    if (!parse_number(opt, v, 0, MAX_SIGNAL, &n, err))
        return false;
    cfg->dump_signal = (int)n;
    return true;
}

static bool set_dump_timeout_ms(const struct option *opt, struct opt_value v,
                                struct tl__config *cfg, struct text_builder *err)
{
    unsigned long n;
    if (!parse_number(opt, v, 1, MAX_WAIT_MS, &n, err))
        return false;
    cfg->dump_timeout_ms = (unsigned)n;
    return true;
}

/* In the order --help lists them. A name must not start with a digit: host_port_end relies on it
 * to tell a port from the next key. */
static const struct option option_table[] = {
    {"exitcode", set_exitcode, 0,
     "exit status when leaks are found and the program exited 0; 0..255, 0 = only report "
     "(default 66)"},
    {"linger_ms", set_linger_ms, 0,
     "how long to wait at exit for running threads to finish; 0..600000 (default 500)"},
    {"mode", set_mode, 0,
     "all: running and finished-unjoined threads are leaks; tsan: only finished-unjoined "
     "(default all)"},
    {"report_dir", set_report_dir, 0, "directory for one JSON (and text) report per process"},
    {"log_path", set_log_path, 0, "text report goes to PATH.PID; stderr or empty = stderr"},
    {"suppressions", set_suppressions, 0, "ThreadSanitizer-syntax suppression file"},
    {"color", set_color, 0, "auto, always or never (default auto)"},
    {"verbosity", set_verbosity, 0, "0..3 (default 0)"},
    {"quiet", set_quiet, 0, "1 = no text report (set by the threadleak CLI); default 0"},
    {"http", set_http, OPT_HOST_PORT, "HOST:PORT of the live endpoint; empty = off (default)"},
    {"stacks", set_stacks, 0,
     "signal: live dumps interrupt threads for their stacks; nosignal: never (default signal)"},
    {"dump_signal", set_dump_signal, 0, "signal for live dumps; 0 = pick a free one, else 1..64"},
    {"dump_timeout_ms", set_dump_timeout_ms, 0,
     "how long a live dump waits for threads to answer; 1..600000 (default 1000)"},
};

#define OPTION_COUNT (sizeof option_table / sizeof option_table[0])

void options_defaults(struct tl__config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->exitcode = DEFAULT_EXITCODE;
    cfg->linger_ms = DEFAULT_LINGER_MS;
    cfg->mode = TL_MODE_ALL;
    cfg->color = TL_COLOR_AUTO;
    cfg->stacks = TL_STACKS_SIGNAL;
    cfg->dump_timeout_ms = DEFAULT_DUMP_TIMEOUT_MS;
}

bool options_key_info(size_t index, const char **name, const char **help)
{
    if (index >= OPTION_COUNT)
        return false;
    if (name)
        *name = option_table[index].name;
    if (help)
        *help = option_table[index].help;
    return true;
}

static const struct option *find_option(const char *key, size_t len)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (value_is((struct opt_value){key, len}, option_table[i].name))
            return &option_table[i];
    }
    return NULL;
}

static void unknown_key(const char *key, size_t len, struct text_builder *err)
{
    append(err, "unknown key ");
    append_quoted(err, key, len);
    append(err, " (known: ");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if (i > 0)
            append(err, ", ");
        append(err, option_table[i].name);
    }
    append(err, ")");
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* End of an unquoted HOST:PORT value. ':' normally ends a value, but here the colons of a
 * bracketed IPv6 host belong to it, and so does one ':' followed by a port (digits up to the next
 * ':' or the end): no other key can start with a digit, so `http=localhost:6060:mode=all` is
 * unambiguous. */
static const char *host_port_end(const char *p)
{
    int depth = 0;
    bool port_seen = false;
    for (; *p; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']' && depth > 0)
            depth--;
        else if (*p == ':' && depth == 0) {
            const char *digit = p + 1;
            while (is_digit(*digit))
                digit++;
            if (port_seen || digit == p + 1 || (*digit != ':' && *digit != '\0'))
                return p;
            port_seen = true;
            p = digit - 1;
        }
    }
    return p;
}

/* Slices the value that starts at p into v; returns where the next segment begins (at its ':' or
 * the final NUL), or NULL after writing an error. */
static const char *slice_value(const struct option *opt, const char *p, struct opt_value *v,
                               struct text_builder *err)
{
    if (*p == '\'' || *p == '"') {
        const char *close = strchr(p + 1, *p);
        if (!close) {
            append(err, "unterminated quote in the value for '");
            append(err, opt->name);
            append(err, "'");
            return NULL;
        }
        if (close[1] != ':' && close[1] != '\0') {
            append(err, "unexpected text after the quoted value for '");
            append(err, opt->name);
            append(err, "'");
            return NULL;
        }
        *v = (struct opt_value){p + 1, (size_t)(close - p - 1)};
        return close + 1;
    }
    const char *end = (opt->flags & OPT_HOST_PORT) ? host_port_end(p) : p + strcspn(p, ":");
    *v = (struct opt_value){p, (size_t)(end - p)};
    return end;
}

/* One `key=value` segment at p; returns where the next one begins, or NULL after an error. */
static const char *parse_segment(const char *p, struct tl__config *cfg, struct text_builder *err)
{
    const char *key = p;
    size_t key_len = strcspn(p, "=:");
    if (p[key_len] != '=') {
        append(err, "missing '=' after ");
        append_quoted(err, key, key_len);
        return NULL;
    }
    if (key_len == 0) {
        append(err, "missing key before '='");
        return NULL;
    }
    const struct option *opt = find_option(key, key_len);
    if (!opt) {
        unknown_key(key, key_len, err);
        return NULL;
    }
    struct opt_value v;
    const char *next = slice_value(opt, p + key_len + 1, &v, err);
    if (!next || !opt->set(opt, v, cfg, err))
        return NULL;
    return next;
}

int options_parse(const char *text, struct tl__config *cfg, char *err, size_t errlen)
{
    struct text_builder msg = builder_over(err, errlen);
    if (!text)
        return 0;
    /* Parse into a copy so that a bad option leaves cfg as it was, not half-updated. */
    struct tl__config next = *cfg;
    const char *p = text;
    while (*p) {
        if (*p == ':') { /* empty segments, as in `a=1::b=2` or a trailing ':' */
            p++;
            continue;
        }
        p = parse_segment(p, &next, &msg);
        if (!p)
            return -1;
    }
    *cfg = next;
    return 0;
}

bool options_log_file(const struct tl__config *cfg, long pid, char *out, size_t outlen)
{
    if (cfg->log_path[0] == '\0' || outlen == 0)
        return false;
    char digits[24];
    struct text_builder pid_text = builder_over(digits, sizeof digits);
    append_unsigned(&pid_text, pid < 0 ? 0ul : (unsigned long)pid);
    /* A cut name would send the report to the wrong file: refuse rather than truncate. */
    if (strlen(cfg->log_path) + 1 + pid_text.len >= outlen)
        return false;
    struct text_builder b = builder_over(out, outlen);
    append(&b, cfg->log_path);
    append(&b, ".");
    append(&b, digits);
    return true;
}
