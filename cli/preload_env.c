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

char *preload_compose(const char *shim, const char *tsan_lib, const char *user_preload, char *err,
                      size_t errlen)
{
    if (strpbrk(shim, PRELOAD_SEPARATORS)) {
        snprintf(err, errlen,
                 "the shim's path %s contains a space or ':', which LD_PRELOAD cannot carry", shim);
        return NULL;
    }
    if (tsan_lib && !*tsan_lib)
        tsan_lib = NULL;
    struct strbuf b = {.ok = true};
    if (tsan_lib)
        append_entry(&b, tsan_lib, strlen(tsan_lib));
    append_entry(&b, shim, strlen(shim));
    for (const char *p = user_preload ? user_preload : ""; *p;) {
        size_t len = strcspn(p, PRELOAD_SEPARATORS);
        if (len > 0 && !same_entry(p, len, shim) && !same_entry(p, len, tsan_lib))
            append_entry(&b, p, len);
        p += len;
        p += strspn(p, PRELOAD_SEPARATORS);
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
    return sb_finish(&b, err, errlen);
}
