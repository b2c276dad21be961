/* THREADLEAK_OPTIONS parser.
 *
 * It runs in the shim's constructor, possibly before malloc or stdio are usable, so nothing here
 * allocates or calls stdio: values are sliced out of the caller's text and copied into the fixed
 * buffers of struct tl__config, and messages are assembled by hand in fixed buffers.
 *
 * The options are the lines of options.inc. Each becomes a row of option_table: its name, its
 * type, where its field is, its default and its help. A type (option_type_TYPE below) says what
 * values it accepts; one parser per kind of type (number, word, text) reads them all. */
#include "options.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define QUOTED_VALUE_MAX 40  /* longer values are cut in messages, to keep them one line */
#define MESSAGE_MAX      512 /* one warning; the unknown-key list of every key is the longest */
#define STDERR_PREFIX    "threadleak: THREADLEAK_OPTIONS"

/* Bounded, always NUL-terminated appends into a caller's buffer. */
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

static bool value_is(struct opt_value v, const char *word)
{
    return strlen(word) == v.len && memcmp(v.text, word, v.len) == 0;
}

static bool has_control(struct opt_value v)
{
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.text[i] < 0x20 || v.text[i] == 0x7f)
            return true;
    return false;
}

/* --- the types of options.inc ----------------------------------------------------------------- */

enum value_kind {
    VALUE_NUMBER, /* plain decimal digits in min..max */
    VALUE_WORD,   /* one of words; the index is the value */
    VALUE_TEXT,   /* a string copied into the field's buffer */
};

enum type_flag {
    TYPE_HOST_PORT = 1u << 0,       /* an unquoted value may hold one `:PORT` and `[...]` */
    TYPE_STDERR_IS_EMPTY = 1u << 1, /* "stderr", TSan's spelling of the default, stores "" */
    TYPE_NO_CONTROLS = 1u << 2,     /* no byte below 0x20, nor 0x7f: it goes into report lines */
};

struct option_type {
    enum value_kind kind;
    unsigned long min, max;   /* VALUE_NUMBER */
    const char *const *words; /* VALUE_WORD, NULL-terminated */
    const char *what;         /* VALUE_TEXT: what help=1 says it takes */
    unsigned flags;
    /* VALUE_NUMBER and VALUE_WORD: a value into the field's own C type */
    void (*store)(void *field, unsigned long value);
};

#define SCALAR_STORE(type)                                                                         \
    static void store_##type(void *field, unsigned long value)                                     \
    {                                                                                              \
        *(tl__option_##type *)field = (tl__option_##type)value;                                    \
    }

#define NUMBER_TYPE(type, lo, hi)                                                                  \
    SCALAR_STORE(type)                                                                             \
    static const struct option_type option_type_##type = {                                         \
        .kind = VALUE_NUMBER, .min = lo, .max = hi, .store = store_##type};

#define WORD_TYPE(type, ...)                                                                       \
    SCALAR_STORE(type)                                                                             \
    static const char *const words_##type[] = {__VA_ARGS__, NULL};                                 \
    static const struct option_type option_type_##type = {                                         \
        .kind = VALUE_WORD, .words = words_##type, .store = store_##type};

#define TEXT_TYPE(type, what_text, type_flags)                                                     \
    static const struct option_type option_type_##type = {                                         \
        .kind = VALUE_TEXT, .what = what_text, .flags = type_flags};

NUMBER_TYPE(exit_status, 0, 255)
NUMBER_TYPE(wait_ms, 0, TL__OPTION_MS_MAX)
NUMBER_TYPE(timeout_ms, 1, TL__OPTION_MS_MAX)
NUMBER_TYPE(window_s, 1, TL__OPTION_WINDOW_MAX_S)
NUMBER_TYPE(verbosity, 0, 3)
NUMBER_TYPE(signal, 0, TL__OPTION_SIG_MAX)
WORD_TYPE(flag, "0", "1")
WORD_TYPE(mode, [TL_MODE_ALL] = "all", [TL_MODE_TSAN] = "tsan")
WORD_TYPE(color, [TL_COLOR_AUTO] = "auto", [TL_COLOR_ALWAYS] = "always", [TL_COLOR_NEVER] = "never")
WORD_TYPE(stacks, [TL_STACKS_SIGNAL] = "signal", [TL_STACKS_NOSIGNAL] = "nosignal",
          [TL_STACKS_INTERRUPT] = "interrupt")
WORD_TYPE(deadlock, [TL_DEADLOCK_REPORT] = "report", [TL_DEADLOCK_ABORT] = "abort")
TEXT_TYPE(path, "a path", 0)
TEXT_TYPE(log_path, "a path or stderr", TYPE_STDERR_IS_EMPTY)
TEXT_TYPE(host_port, "HOST:PORT", TYPE_HOST_PORT)
TEXT_TYPE(label, "a name without control characters", TYPE_NO_CONTROLS)

/* --- the table -------------------------------------------------------------------------------- */

struct option {
    const char *name;
    const struct option_type *type;
    size_t offset; /* of the field in struct tl__config */
    size_t size;   /* of the field: the room of a VALUE_TEXT buffer, NUL included */
    /* The default: a string for VALUE_TEXT, else a number. _Generic picks the one that fits
     * DEFAULT's type, so that options.inc needs no column per kind. */
    const char *default_text;
    unsigned long default_number;
    const char *help;
};

#define TL__OPTION(type, name, default_value, help_text)                                           \
    {#name,                                                                                        \
     &option_type_##type,                                                                          \
     offsetof(struct tl__config, name),                                                            \
     sizeof(((struct tl__config *)0)->name),                                                       \
     _Generic((default_value), char *: (default_value), default: (const char *)0),                 \
     _Generic((default_value), char *: 0ul, default: (unsigned long)(default_value)),              \
     help_text},
static const struct option option_table[] = {
#include "options.inc"
};
#undef TL__OPTION

#define OPTION_COUNT (sizeof option_table / sizeof option_table[0])

/* A string default for a string field, a number for the others: a line of options.inc whose
 * DEFAULT does not fit its TYPE fails here, not at start-up in every process. */
#define TL__OPTION(type, name, default_value, help_text)                                           \
    _Static_assert(_Generic((default_value), char * : 1, default : 0) ==                           \
                       _Generic(&((struct tl__config *)0)->name,                                   \
                                char(*)[sizeof((struct tl__config *)0)->name] : 1, default : 0),   \
                   "options.inc: the default of " #name " does not fit its type");
#include "options.inc"
#undef TL__OPTION

static void *field_of(const struct option *opt, struct tl__config *cfg)
{
    return (char *)cfg + opt->offset;
}

/* "an integer 0..255", "all or tsan", "a path": what a type accepts, for messages and help=1. */
static void append_accepted(struct text_builder *b, const struct option_type *type)
{
    switch (type->kind) {
    case VALUE_NUMBER:
        append(b, "an integer ");
        append_unsigned(b, type->min);
        append(b, "..");
        append_unsigned(b, type->max);
        return;
    case VALUE_WORD: {
        size_t count = 0;
        while (type->words[count])
            count++;
        for (size_t i = 0; i < count; i++) {
            if (i > 0)
                append(b, i + 1 == count ? " or " : ", ");
            append(b, type->words[i]);
        }
        return;
    }
    case VALUE_TEXT:
        append(b, type->what);
        return;
    }
}

/* A value as THREADLEAK_OPTIONS would spell it. */
static void append_value(struct text_builder *b, const struct option *opt, const char *text,
                         unsigned long number)
{
    switch (opt->type->kind) {
    case VALUE_NUMBER:
        append_unsigned(b, number);
        return;
    case VALUE_WORD:
        append(b, opt->type->words[number]);
        return;
    case VALUE_TEXT:
        append(b, text);
        return;
    }
}

static const struct tl__config default_config = {
#define TL__OPTION TL__OPTION_DEFAULT
#include "options.inc"
#undef TL__OPTION
};

void options_defaults(struct tl__config *cfg)
{
    *cfg = default_config;
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

bool options_key_default(size_t index, char *out, size_t outlen)
{
    if (index >= OPTION_COUNT)
        return false;
    const struct option *opt = &option_table[index];
    const char *text = opt->default_text;
    char word[32];
    if (opt->type->kind != VALUE_TEXT) {
        struct text_builder b = builder_over(word, sizeof word);
        append_value(&b, opt, NULL, opt->default_number);
        text = word;
    }
    size_t len = strlen(text);
    if (len >= outlen) /* a cut default would be a wrong one */
        return false;
    memcpy(out, text, len + 1);
    return true;
}

bool options_help_entry(size_t index, char *out, size_t outlen)
{
    if (index >= OPTION_COUNT)
        return false;
    const struct option *opt = &option_table[index];
    struct text_builder b = builder_over(out, outlen);
    append(&b, "  ");
    append(&b, opt->name);
    append(&b, "=");
    append_value(&b, opt, opt->default_text, opt->default_number);
    append(&b, "\n      ");
    append(&b, opt->help);
    append(&b, " (");
    append_accepted(&b, opt->type);
    append(&b, ")\n");
    return true;
}

/* --- parsing ---------------------------------------------------------------------------------- */

static void bad_value(const struct option *opt, struct opt_value v, struct text_builder *err)
{
    append(err, "bad value ");
    append_quoted(err, v.text, v.len);
    append(err, " for '");
    append(err, opt->name);
    append(err, "' (expected ");
    append_accepted(err, opt->type);
    append(err, ")");
}

/* Plain decimal digits only: no sign, no spaces, no hex, so that typos are caught. */
static bool parse_number(const struct option_type *type, struct opt_value v, unsigned long *out)
{
    unsigned long n = 0;
    bool ok = v.len > 0;
    for (size_t i = 0; ok && i < v.len; i++) {
        unsigned digit = (unsigned)(v.text[i] - '0');
        /* n * 10 + digit <= max, without overflowing */
        ok = digit <= 9 && digit <= type->max && n <= (type->max - digit) / 10;
        n = n * 10 + digit;
    }
    if (!ok || n < type->min)
        return false;
    *out = n;
    return true;
}

static bool parse_word(const struct option_type *type, struct opt_value v, unsigned long *out)
{
    for (unsigned long i = 0; type->words[i]; i++) {
        if (value_is(v, type->words[i])) {
            *out = i;
            return true;
        }
    }
    return false;
}

/* Stores v into opt's field, or leaves the field as it was and writes why into err. */
static bool set_value(const struct option *opt, struct opt_value v, struct tl__config *cfg,
                      struct text_builder *err)
{
    void *field = field_of(opt, cfg);
    unsigned long n;
    switch (opt->type->kind) {
    case VALUE_NUMBER:
    case VALUE_WORD:
        if (!(opt->type->kind == VALUE_NUMBER ? parse_number(opt->type, v, &n)
                                              : parse_word(opt->type, v, &n))) {
            bad_value(opt, v, err);
            return false;
        }
        opt->type->store(field, n);
        return true;
    case VALUE_TEXT:
        if ((opt->type->flags & TYPE_STDERR_IS_EMPTY) && value_is(v, "stderr"))
            v.len = 0;
        if (v.len >= opt->size) {
            append(err, "value for '");
            append(err, opt->name);
            append(err, "' is too long (");
            append_unsigned(err, v.len);
            append(err, " bytes, at most ");
            append_unsigned(err, opt->size - 1);
            append(err, ")");
            return false;
        }
        if ((opt->type->flags & TYPE_NO_CONTROLS) && has_control(v)) {
            append(err, "value for '");
            append(err, opt->name);
            append(err, "' has a control character");
            return false;
        }
        memcpy(field, v.text, v.len);
        ((char *)field)[v.len] = '\0';
        return true;
    }
    return false;
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

/* Slices the value that starts at p into v and sets *next to where the next item begins (its ':'
 * or the final NUL). On a malformed value writes an error naming the key and returns false;
 * *next is then where parsing resumes: past the quoted text, or at the end when a quote never
 * closes, since nothing after it can be told apart from the value. */
static bool slice_value(const char *name, unsigned flags, const char *p, struct opt_value *v,
                        const char **next, struct text_builder *err)
{
    if (*p == '\'' || *p == '"') {
        const char *close = strchr(p + 1, *p);
        if (!close) {
            append(err, "unterminated quote in the value for '");
            append(err, name);
            append(err, "'");
            *next = p + strlen(p);
            return false;
        }
        if (close[1] != ':' && close[1] != '\0') {
            append(err, "unexpected text after the quoted value for '");
            append(err, name);
            append(err, "'");
            *next = close + 1 + strcspn(close + 1, ":");
            return false;
        }
        *v = (struct opt_value){p + 1, (size_t)(close - p - 1)};
        *next = close + 1;
        return true;
    }
    const char *end = (flags & TYPE_HOST_PORT) ? host_port_end(p) : p + strcspn(p, ":");
    *v = (struct opt_value){p, (size_t)(end - p)};
    *next = end;
    return true;
}

/* One `key=value` item at p. Sets *next to where the following one begins, whether or not this
 * one was good: a bad item is skipped, never the rest of the text. False after writing why. */
static bool parse_item(const char *p, struct tl__config *cfg, const char **next,
                       struct text_builder *err)
{
    const char *key = p;
    size_t key_len = strcspn(p, "=:");
    struct opt_value v;
    if (p[key_len] != '=') {
        append(err, "missing '=' after ");
        append_quoted(err, key, key_len);
        *next = p + key_len;
        return false;
    }
    const struct option *opt = key_len ? find_option(key, key_len) : NULL;
    if (!opt) {
        struct text_builder quiet = builder_over(NULL, 0); /* one message per item: the key's */
        slice_value("", 0, p + key_len + 1, &v, next, &quiet);
        if (key_len == 0)
            append(err, "missing key before '='");
        else
            unknown_key(key, key_len, err);
        return false;
    }
    return slice_value(opt->name, opt->type->flags, p + key_len + 1, &v, next, err) &&
           set_value(opt, v, cfg, err);
}

size_t options_apply(const char *text, struct tl__config *cfg, tl__options_warn_fn *warn, void *ctx)
{
    size_t bad = 0;
    for (const char *p = text ? text : ""; *p;) {
        if (*p == ':') { /* empty items, as in `a=1::b=2` or a trailing ':' */
            p++;
            continue;
        }
        char message[MESSAGE_MAX];
        struct text_builder msg = builder_over(message, sizeof message);
        if (!parse_item(p, cfg, &p, &msg)) {
            bad++;
            if (warn)
                warn(ctx, message);
        }
    }
    return bad;
}

struct first_message {
    struct text_builder *err;
    bool seen;
};

static void keep_first(void *ctx, const char *message)
{
    struct first_message *first = ctx;
    if (!first->seen)
        append(first->err, message);
    first->seen = true;
}

int options_parse(const char *text, struct tl__config *cfg, char *err, size_t errlen)
{
    struct text_builder msg = builder_over(err, errlen);
    struct first_message first = {&msg, false};
    return options_apply(text, cfg, keep_first, &first) == 0 ? 0 : -1;
}

/* All of text in as few write(2)s as the kernel allows: stdio may not be ready yet. */
static void write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

void options_warn_stderr(void *ctx, const char *message)
{
    (void)ctx;
    char line[MESSAGE_MAX + sizeof STDERR_PREFIX + 4];
    struct text_builder b = builder_over(line, sizeof line);
    append(&b, STDERR_PREFIX ": ");
    append(&b, message);
    append(&b, "\n");
    int saved = errno; /* the host's errno is not ours to change */
    write_all(STDERR_FILENO, line, b.len);
    errno = saved;
}

void options_print_help(void)
{
    int saved = errno;
    static const char head[] = STDERR_PREFIX "=key=value:key=value; the options, as KEY=DEFAULT:\n";
    write_all(STDERR_FILENO, head, sizeof head - 1);
    char entry[MESSAGE_MAX];
    for (size_t i = 0; options_help_entry(i, entry, sizeof entry); i++)
        write_all(STDERR_FILENO, entry, strlen(entry));
    errno = saved;
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
