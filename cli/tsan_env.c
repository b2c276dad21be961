/* Recognising TSan builds and composing TSAN_OPTIONS. The user's value is scanned with the
 * sanitizers' own tokenising rules (see tsan_env.h) only to learn two things: whether it sets
 * log_path (we override it) and which exitcode TSan will use (so that the CLI can tell TSan's
 * status from the program's own). The value itself is passed on untouched. */
#include "tsan_env.h"

#include "elf_reader.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSAN_SEPARATORS " ,:\n\t\r" /* the flag parser's is_space() */

enum tl__tsan_build tsan_build_of(const char *path, const struct tl__elf_info *info)
{
    if (info && info->tsan_needed[0])
        return TL_TSAN_BUILD_GCC;
    if (elf_dynsym_lookup(path, "__tsan_init") == TL_DYNSYM_DEFINED)
        return TL_TSAN_BUILD_CLANG;
    return TL_TSAN_BUILD_NONE;
}

/* One name=value pair of a sanitizer options string. */
struct flag {
    const char *name, *value;
    size_t name_len, value_len;
};

/* Reads the pair at *p and advances past it. False at the end of the text or at a malformed pair
 * (TSan itself would stop there with a fatal error). */
static bool next_flag(const char **p, struct flag *f)
{
    const char *s = *p + strspn(*p, TSAN_SEPARATORS);
    if (!*s)
        return false;
    f->name = s;
    f->name_len = strcspn(s, "=" TSAN_SEPARATORS);
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
        f->value_len = strcspn(s, TSAN_SEPARATORS);
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

static void scan_user_options(const char *text, struct tl__tsan_env *env)
{
    struct flag f;
    for (const char *p = text; next_flag(&p, &f);) {
        if (flag_is(&f, "log_path"))
            env->user_log_path = true;
        else if (flag_is(&f, "exitcode"))
            parse_int(&f, &env->exitcode);
    }
    /* exit() keeps the low 8 bits, as the kernel reports them. */
    env->exitcode &= 0xff;
}

int tsan_env_compose(const char *user_options, const char *report_dir, struct tl__tsan_env *out,
                     char *err, size_t errlen)
{
    *out = (struct tl__tsan_env){.exitcode = TL_TSAN_DEFAULT_EXITCODE};
    const char *quote = !strchr(report_dir, '\'') ? "'" : !strchr(report_dir, '"') ? "\"" : NULL;
    if (!quote) {
        snprintf(err, errlen,
                 "the report directory %s contains both ' and \", which TSAN_OPTIONS cannot carry",
                 report_dir);
        return -1;
    }
    const char *user = user_options ? user_options : "";
    scan_user_options(user, out);
    /* A space separates even when the user's value ends inside a word. */
    size_t len = strlen(user) + strlen(report_dir) + sizeof TL_TSAN_LOG_NAME + 32;
    out->options = malloc(len);
    if (!out->options) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(out->options, len, "%s%slog_path=%s%s/%s%s", user, *user ? " " : "", quote, report_dir,
             TL_TSAN_LOG_NAME, quote);
    return 0;
}

void tsan_env_free(struct tl__tsan_env *env)
{
    free(env->options);
    env->options = NULL;
}
