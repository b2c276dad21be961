/* ThreadSanitizer-syntax suppression files.
 *
 * Parsing and matching follow compiler-rt's SuppressionContext::Parse and TemplateMatch closely,
 * quirks included, so that one file serves both TSan and threadleak. Runs at report time only:
 * it allocates freely. */
#include "suppressions.h"

#include "toolbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every type TSan knows, so that a file written for TSan loads here unchanged. */
static const char *const known_types[] = {
    "thread", "race", "race_top", "mutex", "signal", "deadlock", "called_from_lib",
};
#define KNOWN_TYPE_COUNT (sizeof known_types / sizeof known_types[0])
#define THREAD_TYPE      (known_types[0])

struct suppression {
    const char *type;    /* one of known_types */
    const char *pattern; /* NUL-terminated inside tl__suppressions.text */
    _Atomic unsigned hits;
};

struct tl__suppressions {
    char *text; /* the parsed text, cut into patterns in place */
    size_t count;
    struct suppression entries[];
};

/* First occurrence of the n bytes at lit in str, as strstr on a pattern piece. */
static const char *find_literal(const char *str, const char *lit, size_t n)
{
    for (; *str; str++) {
        if (strncmp(str, lit, n) == 0)
            return str;
    }
    return NULL;
}

/* TemplateMatch, without writing into the pattern: the pattern is cut into literal pieces at each
 * '*' and '$'; each piece must be found after the previous one. The quirks are TSan's: an empty
 * string never matches, an empty pattern matches anything else, and a piece is found at its
 * first occurrence only, so `foo$` does not match "foofoo". */
bool suppression_pattern_matches(const char *pattern, const char *text)
{
    if (!text || text[0] == '\0')
        return false;
    if (!pattern)
        return true;
    bool anchored = false;
    if (pattern[0] == '^') {
        anchored = true;
        pattern++;
    }
    bool after_star = false;
    while (pattern[0]) {
        if (pattern[0] == '*') {
            pattern++;
            anchored = false;
            after_star = true;
            continue;
        }
        if (pattern[0] == '$')
            return text[0] == '\0' || after_star;
        if (text[0] == '\0')
            return false;
        size_t piece = strcspn(pattern, "*$");
        const char *found = find_literal(text, pattern, piece);
        if (!found || (anchored && found != text))
            return false;
        text = found + piece;
        pattern += piece;
        anchored = false;
        after_star = false;
    }
    return true;
}

static void append_type_list(char *out, size_t outlen)
{
    size_t used = strlen(out);
    for (size_t i = 0; i < KNOWN_TYPE_COUNT && used < outlen; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", known_types[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used < outlen)
        snprintf(out + used, outlen - used, ")");
}

/* The type that line (not NUL-terminated, len bytes) starts with, followed by ':'; NULL if none.
 * *pattern is set to the text after the ':'. */
static const char *line_type(const char *line, size_t len, const char **pattern)
{
    for (size_t i = 0; i < KNOWN_TYPE_COUNT; i++) {
        size_t n = strlen(known_types[i]);
        if (n < len && memcmp(line, known_types[i], n) == 0 && line[n] == ':') {
            *pattern = line + n + 1;
            return known_types[i];
        }
    }
    return NULL;
}

static void bad_line(const char *origin, unsigned lineno, const char *line, size_t len, char *err,
                     size_t errlen)
{
    if (!err || errlen == 0)
        return;
    const char *colon = memchr(line, ':', len);
    int where = origin ? snprintf(err, errlen, "%s:%u: ", origin, lineno)
                       : snprintf(err, errlen, "line %u: ", lineno);
    if (where < 0 || (size_t)where >= errlen)
        return;
    if (colon)
        snprintf(err + where, errlen - (size_t)where,
                 "unknown suppression type '%.*s' (known: ", (int)(colon - line), line);
    else
        snprintf(err + where, errlen - (size_t)where,
                 "expected TYPE:PATTERN, got '%.*s' (types: ", (int)len, line);
    append_type_list(err, errlen);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits text (owned by s) into entries, in place. Lines are trimmed of spaces and tabs at both
 * ends and of a trailing '\r'; a '#' only starts a comment as the first character, as in TSan. */
static bool split_entries(struct tl__suppressions *s, const char *origin, char *err, size_t errlen)
{
    unsigned lineno = 0;
    for (char *line = s->text; line;) {
        lineno++;
        char *end = strchr(line, '\n');
        char *next = end ? end + 1 : NULL;
        if (!end)
            end = line + strlen(line);
        while (line < end && is_blank(*line))
            line++;
        while (end > line && (is_blank(end[-1]) || end[-1] == '\r'))
            end--;
        if (line < end && line[0] != '#') {
            const char *pattern;
            const char *type = line_type(line, (size_t)(end - line), &pattern);
            if (!type) {
                bad_line(origin, lineno, line, (size_t)(end - line), err, errlen);
                return false;
            }
            *end = '\0';
            struct suppression *e = &s->entries[s->count++];
            e->type = type;
            e->pattern = pattern;
            atomic_init(&e->hits, 0);
        }
        line = next;
    }
    return true;
}

static size_t count_lines(const char *text)
{
    size_t lines = 1;
    for (; *text; text++)
        lines += *text == '\n';
    return lines;
}

static struct tl__suppressions *parse_owned(char *text, const char *origin, char *err,
                                            size_t errlen)
{
    size_t lines = count_lines(text);
    struct tl__suppressions *s = malloc(sizeof *s + lines * sizeof s->entries[0]);
    if (!s) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory reading suppressions");
        free(text);
        return NULL;
    }
    s->text = text;
    s->count = 0;
    if (!split_entries(s, origin, err, errlen)) {
        suppressions_free(s);
        return NULL;
    }
    return s;
}

struct tl__suppressions *suppressions_parse(const char *text, char *err, size_t errlen)
{
    char *copy = strdup(text ? text : "");
    if (!copy) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory reading suppressions");
        return NULL;
    }
    return parse_owned(copy, NULL, err, errlen);
}

/* Far beyond any real suppressions file; a bound so that a wrong path (a device, a huge log)
 * fails with EFBIG instead of filling memory. */
#define SUPPRESSIONS_MAX_BYTES (16u << 20)

struct tl__suppressions *suppressions_load(const char *path, char *err, size_t errlen)
{
    char *text = path ? tl__read_file_at(AT_FDCWD, path, SUPPRESSIONS_MAX_BYTES, NULL) : NULL;
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read suppressions file '%s': %s", path ? path : "",
                     path ? strerror(errno) : "no path given");
        return NULL;
    }
    return parse_owned(text, path, err, errlen);
}

void suppressions_free(struct tl__suppressions *s)
{
    if (!s)
        return;
    free(s->text);
    free(s);
}

/* The first entry of type (one of known_types), in file order, that matches str. "??" is the
 * symboliser's word for an unknown function; TSan has no name there, so nothing may match it. */
static struct suppression *first_match(struct tl__suppressions *s, const char *type,
                                       const char *str)
{
    if (!str || strcmp(str, "??") == 0)
        return NULL;
    for (size_t i = 0; i < s->count; i++) {
        struct suppression *e = &s->entries[i];
        if (e->type == type && suppression_pattern_matches(e->pattern, str))
            return e;
    }
    return NULL;
}

/* As TSan's IsSuppressed: frame by frame, innermost first, the function, then the file, then the
 * module. */
static struct suppression *first_stack_match(struct tl__suppressions *s, const char *type,
                                             const struct tl__frame *stack, size_t nframes)
{
    struct suppression *hit = NULL;
    for (size_t i = 0; !hit && stack && i < nframes; i++) {
        hit = first_match(s, type, stack[i].function);
        if (!hit)
            hit = first_match(s, type, stack[i].file);
        if (!hit)
            hit = first_match(s, type, stack[i].module);
    }
    return hit;
}

static bool counted(struct suppression *hit)
{
    if (!hit)
        return false;
    atomic_fetch_add_explicit(&hit->hits, 1, memory_order_relaxed);
    return true;
}

/* The start routine comes last: TSan does not look at it, so an entry that TSan would also have
 * used gets the hit. */
bool suppressions_match_thread(struct tl__suppressions *s, const char *start_routine,
                               const struct tl__frame *stack, size_t nframes)
{
    if (!s)
        return false;
    struct suppression *hit = first_stack_match(s, THREAD_TYPE, stack, nframes);
    if (!hit)
        hit = first_match(s, THREAD_TYPE, start_routine);
    return counted(hit);
}

/* type is compared by its text, then the table's own string is used, so entries (which point to
 * known_types) compare by address. */
bool suppressions_match_stack(struct tl__suppressions *s, const char *type,
                              const struct tl__frame *stack, size_t nframes)
{
    if (!s || !type)
        return false;
    for (size_t i = 0; i < KNOWN_TYPE_COUNT; i++)
        if (strcmp(known_types[i], type) == 0)
            return counted(first_stack_match(s, known_types[i], stack, nframes));
    return false;
}

size_t suppressions_count(const struct tl__suppressions *s)
{
    return s ? s->count : 0;
}

size_t suppressions_used(const struct tl__suppressions *s, const char **types,
                         const char **patterns, unsigned *hits, size_t cap)
{
    size_t used = 0;
    for (size_t i = 0; s && i < s->count; i++) {
        unsigned n = atomic_load_explicit(&s->entries[i].hits, memory_order_relaxed);
        if (n == 0)
            continue;
        if (used < cap) {
            if (types)
                types[used] = s->entries[i].type;
            if (patterns)
                patterns[used] = s->entries[i].pattern;
            if (hits)
                hits[used] = n;
        }
        used++;
    }
    return used;
}
