/* AddressSanitizer's and LeakSanitizer's verdicts, from their logs or from the merged JSON, as
 * one sorted signature (corpus.h, struct asan_verdict), and their comparison with a manifest. */
#include "corpus.h"

#include "asan_report.h"
#include "json_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_line(char *list, size_t cap, const char *line)
{
    size_t len = strlen(list);
    snprintf(list + len, cap - len, "%s%s", len ? "\n" : "", line);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sort_lines(char *text)
{
    size_t n = 0, len = strlen(text);
    char *copy = strdup(text), **lines = calloc(len + 2, sizeof *lines);
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, by_text);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++)
        add_line(text, len + 1, lines[i]);
    free(lines);
    free(copy);
}

static void add_leak(struct asan_verdict *v, const char *type, long long bytes, long long objects,
                     const char *fn)
{
    char line[NAME_MAX_LEN + 64];
    snprintf(line, sizeof line, "%s|%lld|%lld|%s", type, bytes, objects, fn ? fn : "?");
    add_line(v->signature, sizeof v->signature, line);
}

static void add_error(struct asan_verdict *v, const char *kind)
{
    char line[NAME_MAX_LEN + 8];
    snprintf(line, sizeof line, "error|%s", kind ? kind : "?");
    add_line(v->signature, sizeof v->signature, line);
}

void asan_verdict_from_set(const struct tl__asan_report_set *set, struct asan_verdict *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < set->nfindings; i++) {
        const struct tl__asan_finding *f = &set->findings[i];
        if (!asan_finding_is_leak_report(f)) {
            add_error(out, f->kind);
            continue;
        }
        out->leak_reports++;
        for (size_t j = 0; j < f->nleaks; j++)
            add_leak(out, f->leaks[j].direct ? "direct" : "indirect", (long long)f->leaks[j].bytes,
                     (long long)f->leaks[j].objects, f->leaks[j].allocated_by_function);
    }
    sort_lines(out->signature);
    for (size_t i = 0; i < set->nmessages; i++, out->nmessages++)
        add_line(out->messages, sizeof out->messages, set->messages[i].text);
}

int asan_verdict_from_merged_json(const char *json, struct asan_verdict *out, char *err,
                                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct tl__json *root = tl__json_parse(json, strlen(json), err, errlen);
    if (!root)
        return -1;
    const struct tl__json *arr = tl__json_get(root, "asan_findings");
    if (tl__json_type(arr) != TL_JSON_ARRAY) {
        snprintf(err, errlen, "no \"asan_findings\" array in the merged JSON");
        tl__json_free(root);
        return -1;
    }
    for (size_t i = 0; i < tl__json_length(arr); i++) {
        const struct tl__json *f = tl__json_index(arr, i);
        const char *tool = tl__json_string(tl__json_get(f, "tool"));
        if (!tool || strcmp(tool, "LeakSanitizer") != 0) {
            add_error(out, tl__json_string(tl__json_get(f, "kind")));
            continue;
        }
        out->leak_reports++;
        const struct tl__json *leaks = tl__json_get(f, "leaks");
        for (size_t j = 0; j < tl__json_length(leaks); j++) {
            const struct tl__json *l = tl__json_index(leaks, j);
            const char *type = tl__json_string(tl__json_get(l, "type"));
            add_leak(out, type ? type : "?", (long long)tl__json_int(tl__json_get(l, "bytes")),
                     (long long)tl__json_int(tl__json_get(l, "objects")),
                     tl__json_string(tl__json_get(l, "allocated_by_function")));
        }
    }
    sort_lines(out->signature);
    const struct tl__json *msgs = tl__json_get(root, "asan_messages");
    for (size_t i = 0; i < tl__json_length(msgs); i++, out->nmessages++) {
        const char *text = tl__json_string(tl__json_get(tl__json_index(msgs, i), "text"));
        add_line(out->messages, sizeof out->messages, text ? text : "");
    }
    tl__json_free(root);
    return 0;
}

/* Whether some line of lines begins with prefix. */
static bool has_line_starting(const char *lines, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (const char *l = lines; l && *l;) {
        if (strncmp(l, prefix, plen) == 0)
            return true;
        l = strchr(l, '\n');
        l = l ? l + 1 : NULL;
    }
    return false;
}

static void one_line(char *dst, size_t cap, const char *text)
{
    const char *src = text[0] ? text : "nothing";
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    for (char *p = dst; *p; p++)
        if (*p == '\n')
            *p = ',';
}

void compare_asan_with_manifest(struct outcome *o, const char *what, const struct asan_verdict *a,
                                const struct manifest_asan *m)
{
    if (strcmp(a->signature, m->expected.signature) != 0) {
        char got[1024], want[1024];
        one_line(got, sizeof got, a->signature);
        one_line(want, sizeof want, m->expected.signature);
        fail(o, "%s: ASan/LSan reported [%s], the manifest says [%s]", what, got, want);
    }
    const char *want = m->expected.messages;
    for (const char *l = want; *l;) {
        const char *end = strchr(l, '\n');
        char prefix[NAME_MAX_LEN];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(end ? (size_t)(end - l) : strlen(l)), l);
        if (!has_line_starting(a->messages, prefix))
            fail(o, "%s: no ASan/LSan message begins with '%s'", what, prefix);
        l = end ? end + 1 : l + strlen(l);
    }
    if (m->expected.nmessages == 0 && a->nmessages > 0) {
        char got[1024];
        one_line(got, sizeof got, a->messages);
        fail(o, "%s: unexpected ASan/LSan messages: %s", what, got);
    }
}
