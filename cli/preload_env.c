/* Composing LD_PRELOAD and THREADLEAK_OPTIONS. */
#include "preload_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRELOAD_SEPARATORS " :" /* how ld.so splits LD_PRELOAD */

/* A growing string; every append reports failure through ok. */
struct strbuf {
    char *s;
    size_t len, cap;
    bool ok;
};

static void sb_append_n(struct strbuf *b, const char *s, size_t n)
{
    if (!b->ok)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->ok = false;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_append(struct strbuf *b, const char *s)
{
    sb_append_n(b, s, strlen(s));
}

static char *sb_finish(struct strbuf *b, char *err, size_t errlen)
{
    if (b->ok && !b->s)
        sb_append_n(b, "", 0);
    if (!b->ok) {
        free(b->s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return b->s;
}

static bool same_entry(const char *entry, size_t len, const char *lib)
{
    return lib && strlen(lib) == len && memcmp(entry, lib, len) == 0;
}

/* Appends entry with a ':' before it when something precedes it. */
static void append_entry(struct strbuf *b, const char *entry, size_t len)
{
    if (b->len > 0)
        sb_append(b, ":");
    sb_append_n(b, entry, len);
}

/* The file name part of an entry: what follows its last '/'. */
static const char *entry_base(const char *entry, size_t len, size_t *base_len)
{
    const char *base = entry;
    for (size_t i = 0; i < len; i++) {
        if (entry[i] == '/')
            base = entry + i + 1;
    }
    *base_len = len - (size_t)(base - entry);
    return base;
}

bool preload_is_sanitizer(const char *entry, size_t len)
{
    static const char *const names[] = {"libasan.so", "libtsan.so", "libubsan.so", "libhwasan.so",
                                        "liblsan.so"};
    size_t base_len;
    const char *base = entry_base(entry, len, &base_len);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (base_len >= n && memcmp(base, names[i], n) == 0)
            return true;
    }
    return false;
}

/* Steps *p to the next non-empty entry of an LD_PRELOAD-style list; false at its end. */
static bool next_entry(const char **p, const char **entry, size_t *len)
{
    *p += strspn(*p, PRELOAD_SEPARATORS);
    if (!**p)
        return false;
    *entry = *p;
    *len = strcspn(*p, PRELOAD_SEPARATORS);
    *p += *len;
    return true;
}

/* Whether list holds a sanitizer entry with the same file name as entry: the loader would load
 * the one library twice by two names otherwise, or the user's chosen build of it would lose. */
static bool user_names_runtime(const char *user_preload, const char *entry, size_t len)
{
    size_t base_len;
    const char *base = entry_base(entry, len, &base_len);
    const char *p, *cursor = user_preload ? user_preload : "";
    size_t n;
    while (next_entry(&cursor, &p, &n)) {
        size_t other_len;
        const char *other = entry_base(p, n, &other_len);
        if (preload_is_sanitizer(p, n) && other_len == base_len &&
            memcmp(other, base, base_len) == 0)
            return true;
    }
    return false;
}

char *preload_compose(const char *shim, const char *runtimes, const char *user_preload, char *err,
                      size_t errlen)
{
    if (strpbrk(shim, PRELOAD_SEPARATORS)) {
        snprintf(err, errlen,
                 "the shim's path %s contains a space or ':', which LD_PRELOAD cannot carry", shim);
        return NULL;
    }
    const char *user = user_preload ? user_preload : "", *entry, *cursor;
    size_t len;
    struct strbuf b = {.ok = true};
    for (cursor = user; next_entry(&cursor, &entry, &len);) {
        if (preload_is_sanitizer(entry, len))
            append_entry(&b, entry, len);
    }
    for (cursor = runtimes ? runtimes : ""; next_entry(&cursor, &entry, &len);) {
        if (!user_names_runtime(user, entry, len))
            append_entry(&b, entry, len);
    }
    append_entry(&b, shim, strlen(shim));
    for (cursor = user; next_entry(&cursor, &entry, &len);) {
        if (!preload_is_sanitizer(entry, len) && !same_entry(entry, len, shim))
            append_entry(&b, entry, len);
    }
    return sb_finish(&b, err, errlen);
}

/* The options parser takes '...' or "..." verbatim, so a path is safe unless it holds both. */
static bool append_quoted(struct strbuf *b, const char *value)
{
    const char *quote = !strchr(value, '\'') ? "'" : !strchr(value, '"') ? "\"" : NULL;
    if (!quote)
        return false;
    sb_append(b, quote);
    sb_append(b, value);
    sb_append(b, quote);
    return true;
}

/* The keys of options_compose after mode=, then the finished string. */
static char *append_run_extras(struct strbuf *b, const struct tl__options_request *req, char *err,
                               size_t errlen)
{
    if (req->suppressions) {
        sb_append(b, ":suppressions=");
        if (!append_quoted(b, req->suppressions)) {
            free(b->s);
            snprintf(err, errlen,
                     "the suppressions file %s contains both ' and \", which "
                     "THREADLEAK_OPTIONS cannot carry",
                     req->suppressions);
            return NULL;
        }
    }
    if (req->verbosity) {
        sb_append(b, ":verbosity=");
        sb_append(b, req->verbosity);
    }
    if (req->label && (strchr(req->label, '\'') == NULL || strchr(req->label, '"') == NULL)) {
        sb_append(b, ":label=");
        append_quoted(b, req->label);
    }
    return sb_finish(b, err, errlen);
}

char *options_compose(const char *user_options, const struct tl__options_request *req, char *err,
                      size_t errlen)
{
    struct strbuf b = {.ok = true};
    if (user_options && *user_options) {
        sb_append(&b, user_options);
        sb_append(&b, ":");
    }
    sb_append(&b, "report_dir=");
    if (!append_quoted(&b, req->report_dir)) {
        free(b.s);
        snprintf(err, errlen,
                 "the report directory %s contains both ' and \", which "
                 "THREADLEAK_OPTIONS cannot carry",
                 req->report_dir);
        return NULL;
    }
    sb_append(&b, ":quiet=1:exitcode=0:color=");
    sb_append(&b, req->color ? "always" : "never");
    if (req->linger_ms >= 0) {
        char num[32];
        snprintf(num, sizeof num, ":linger_ms=%ld", req->linger_ms);
        sb_append(&b, num);
    }
    if (req->mode) {
        sb_append(&b, ":mode=");
        sb_append(&b, req->mode);
    }
    return append_run_extras(&b, req, err, errlen);
}

char *options_with_locks(const char *options, char *err, size_t errlen)
{
    struct strbuf b = {.ok = true};
    sb_append(&b, "deadlock=abort:");
    sb_append(&b, options);
    sb_append(&b, ":locks=1");
    return sb_finish(&b, err, errlen);
}
