/* Composing a sanitizer's options variable (see san_options.h). Pure functions. */
#include "san_options.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAN_SEPARATORS " ,:\n\t\r" /* the flag parser's is_space() */

/* One name=value pair of a sanitizer options string. */
struct flag {
    const char *name, *value;
    size_t name_len, value_len;
};

/* Reads the pair at *p and advances past it. False at the end of the text or at a malformed pair
 * (the sanitizer itself would stop there with a fatal error). */
static bool next_flag(const char **p, struct flag *f)
{
    const char *s = *p + strspn(*p, SAN_SEPARATORS);
    if (!*s)
        return false;
    f->name = s;
    f->name_len = strcspn(s, "=" SAN_SEPARATORS);
    s += f->name_len;
    if (*s != '=')
        return false;
    s++;
    if (*s == '\'' || *s == '"') {
        const char *close = strchr(s + 1, *s);
        if (!close)
            return false;
        f->value = s + 1;
        f->value_len = (size_t)(close - s - 1);
        s = close + 1;
    } else {
        f->value = s;
        f->value_len = strcspn(s, SAN_SEPARATORS);
        s += f->value_len;
    }
    *p = s;
    return true;
}

static bool flag_is(const struct flag *f, const char *name)
{
    return f->name_len == strlen(name) && memcmp(f->name, name, f->name_len) == 0;
}

/* The flag parser reads ints with strtoll semantics: an optional sign, then decimal digits. */
static bool parse_int(const struct flag *f, int *out)
{
    char buf[24];
    if (f->value_len == 0 || f->value_len >= sizeof buf)
        return false;
    memcpy(buf, f->value, f->value_len);
    buf[f->value_len] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end || end == buf || v < INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

static void scan_user_options(const char *text, struct tl__san_options *o)
{
    struct flag f;
    for (const char *p = text; next_flag(&p, &f);) {
        if (flag_is(&f, "log_path"))
            o->user_log_path = true;
        else if (flag_is(&f, "exitcode") && parse_int(&f, &o->exitcode))
            o->user_exitcode = true;
    }
    /* exit() keeps the low 8 bits, as the kernel reports them. */
    o->exitcode &= 0xff;
}

int san_options_compose(const char *var, const char *user_options, const char *report_dir,
                        const char *log_name, int default_exitcode, struct tl__san_options *out,
                        char *err, size_t errlen)
{
    *out = (struct tl__san_options){.exitcode = default_exitcode};
    const char *quote = !strchr(report_dir, '\'') ? "'" : !strchr(report_dir, '"') ? "\"" : NULL;
    if (!quote) {
        snprintf(err, errlen,
                 "the report directory %s contains both ' and \", which %s cannot carry",
                 report_dir, var);
        return -1;
    }
    const char *user = user_options ? user_options : "";
    scan_user_options(user, out);
    /* A space separates even when the user's value ends inside a word. */
    size_t len = strlen(user) + strlen(report_dir) + strlen(log_name) + 32;
    out->options = malloc(len);
    if (!out->options) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(out->options, len, "%s%slog_path=%s%s/%s%s", user, *user ? " " : "", quote, report_dir,
             log_name, quote);
    return 0;
}

void san_options_free(struct tl__san_options *o)
{
    free(o->options);
    o->options = NULL;
}
