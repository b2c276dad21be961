/* SARIF 2.1.0 from the CI model, through the project's streaming JSON writer. */
#include "sarif_writer.h"

#include "json_writer.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef TL_VERSION
#define TL_VERSION "0.0.0"
#endif

#define SARIF_SCHEMA    "https://json.schemastore.org/sarif-2.1.0.json"
#define SRCROOT         "SRCROOT"
#define FINGERPRINT_KEY "threadleak/v1"

static void text_object(struct tl__json_writer *w, const char *key, const char *text)
{
    tl__jw_key(w, key);
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "text", text);
    tl__jw_end_object(w);
}

static void write_rules(struct tl__json_writer *w)
{
    tl__jw_key(w, "rules");
    tl__jw_begin_array(w);
    for (int r = 0; r < TL_CI_NRULES; r++) {
        const struct tl__ci_rule_info *info = ci_rule_info((enum tl__ci_rule)r);
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "id", info->id);
        tl__jw_member_string(w, "name", info->name);
        text_object(w, "shortDescription", info->short_text);
        text_object(w, "fullDescription", info->full_text);
        tl__jw_key(w, "defaultConfiguration");
        tl__jw_begin_object(w);
        tl__jw_member_string(w, "level", "error");
        tl__jw_end_object(w);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

static void write_tool(struct tl__json_writer *w)
{
    tl__jw_key(w, "tool");
    tl__jw_begin_object(w);
    tl__jw_key(w, "driver");
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "name", "threadleak");
    tl__jw_member_string(w, "version", TL_VERSION);
    tl__jw_member_string(w, "semanticVersion", TL_VERSION);
    write_rules(w);
    tl__jw_end_object(w);
    tl__jw_end_object(w);
}

/* {"physicalLocation": {...}} for a frame with a file we can name; false when there is none. */
static bool physical_location(struct tl__json_writer *w, const struct tl__ci_model *m,
                              const struct tl__ci_frame *frame)
{
    bool in_tree;
    char *uri = ci_frame_uri(m, frame, &in_tree);
    if (!uri)
        return false;
    tl__jw_key(w, "physicalLocation");
    tl__jw_begin_object(w);
    tl__jw_key(w, "artifactLocation");
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "uri", uri);
    if (in_tree)
        tl__jw_member_string(w, "uriBaseId", SRCROOT);
    tl__jw_end_object(w);
    if (frame->line > 0) {
        tl__jw_key(w, "region");
        tl__jw_begin_object(w);
        tl__jw_member_int(w, "startLine", frame->line);
        tl__jw_end_object(w);
    }
    tl__jw_end_object(w);
    free(uri);
    return true;
}

static void logical_location(struct tl__json_writer *w, const struct tl__ci_frame *frame)
{
    tl__jw_key(w, "logicalLocations");
    tl__jw_begin_array(w);
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "name", frame->function);
    tl__jw_member_string(w, "kind", "function");
    tl__jw_end_object(w);
    tl__jw_end_array(w);
}

static void write_locations(struct tl__json_writer *w, const struct tl__ci_model *m,
                            const struct tl__ci_finding *f)
{
    tl__jw_key(w, "locations");
    tl__jw_begin_array(w);
    const struct tl__ci_frame *frame = ci_finding_frame(f);
    if (frame) {
        tl__jw_begin_object(w);
        physical_location(w, m, frame);
        logical_location(w, frame);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

/* The stack as one thread flow, outermost frame first, as code scanning shows a path. */
static void write_code_flow(struct tl__json_writer *w, const struct tl__ci_model *m,
                            const struct tl__ci_finding *f)
{
    if (f->nstack == 0)
        return;
    tl__jw_key(w, "codeFlows");
    tl__jw_begin_array(w);
    tl__jw_begin_object(w);
    tl__jw_key(w, "threadFlows");
    tl__jw_begin_array(w);
    tl__jw_begin_object(w);
    tl__jw_key(w, "locations");
    tl__jw_begin_array(w);
    for (size_t i = f->nstack; i-- > 0;) {
        const struct tl__ci_frame *frame = &f->stack[i];
        tl__jw_begin_object(w);
        tl__jw_key(w, "location");
        tl__jw_begin_object(w);
        physical_location(w, m, frame);
        char *text = ci_frame_text(m, frame);
        text_object(w, "message", text ? text : frame->function);
        free(text);
        tl__jw_end_object(w);
        tl__jw_member_int(w, "nestingLevel", (int64_t)(f->nstack - 1 - i));
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
    tl__jw_end_object(w);
    tl__jw_end_array(w);
    tl__jw_end_object(w);
    tl__jw_end_array(w);
}

static bool same_result(const struct tl__ci_finding *a, const struct tl__ci_finding *b)
{
    return a->rule == b->rule && strcmp(a->fingerprint, b->fingerprint) == 0;
}

/* Whether an earlier finding already stands for f's result. */
static bool merged_earlier(const struct tl__ci_model *m, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_result(&m->finding[j], &m->finding[i]))
            return true;
    return false;
}

struct group {
    unsigned long count; /* threads, times */
    size_t findings;     /* findings folded into the result */
    size_t processes;    /* distinct processes among them */
    bool failing;        /* any of them fails the run */
};

static struct group group_of(const struct tl__ci_model *m, size_t first)
{
    struct group g = {0};
    for (size_t i = first; i < m->nfinding; i++) {
        const struct tl__ci_finding *f = &m->finding[i];
        if (!same_result(f, &m->finding[first]))
            continue;
        g.count += f->count;
        g.findings++;
        g.failing |= f->failing;
        bool seen = false;
        for (size_t j = first; j < i && !seen; j++)
            seen = same_result(&m->finding[j], f) && m->finding[j].process == f->process;
        g.processes += !seen;
    }
    return g;
}

static long pid_of(const struct tl__ci_model *m, const struct tl__ci_finding *f)
{
    return f->process < m->nprocess ? m->process[f->process].pid : 0;
}

static const char *label_of(const struct tl__ci_model *m, const struct tl__ci_finding *f)
{
    return f->process < m->nprocess ? m->process[f->process].label : NULL;
}

/* "labels": the runs' --label of the result's processes, each once, in order; none without. */
static void write_labels(struct tl__json_writer *w, const struct tl__ci_model *m, size_t first)
{
    bool any = false;
    for (size_t i = first; i < m->nfinding; i++) {
        const char *label = label_of(m, &m->finding[i]);
        if (!same_result(&m->finding[i], &m->finding[first]) || !label)
            continue;
        bool seen = false;
        for (size_t j = first; j < i && !seen; j++)
            seen = same_result(&m->finding[j], &m->finding[first]) && label_of(m, &m->finding[j]) &&
                   strcmp(label_of(m, &m->finding[j]), label) == 0;
        if (seen)
            continue;
        if (!any) {
            tl__jw_key(w, "labels");
            tl__jw_begin_array(w);
            any = true;
        }
        tl__jw_string(w, label);
    }
    if (any)
        tl__jw_end_array(w);
}

static void write_properties(struct tl__json_writer *w, const struct tl__ci_model *m, size_t first,
                             const struct group *g)
{
    const struct tl__ci_finding *f0 = &m->finding[first];
    tl__jw_key(w, "properties");
    tl__jw_begin_object(w);
    tl__jw_member_uint64(w, "count", g->count);
    if (f0->start_routine)
        tl__jw_member_string(w, "startRoutine", f0->start_routine);
    tl__jw_key(w, "pids");
    tl__jw_begin_array(w);
    for (size_t i = first; i < m->nfinding; i++)
        if (same_result(&m->finding[i], f0) && m->finding[i].process < m->nprocess)
            tl__jw_int(w, pid_of(m, &m->finding[i]));
    tl__jw_end_array(w);
    write_labels(w, m, first);
    tl__jw_end_object(w);
}

static int write_result(struct tl__json_writer *w, const struct tl__ci_model *m, size_t i)
{
    const struct tl__ci_finding *f = &m->finding[i];
    struct group g = group_of(m, i);
    char *message = NULL;
    if (g.findings > 1) {
        if (asprintf(&message, "%s (the same finding %zu times, in %zu %s)", f->message, g.findings,
                     g.processes, g.processes == 1 ? "process" : "processes") < 0)
            return -1;
    }
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "ruleId", ci_rule_info(f->rule)->id);
    tl__jw_member_int(w, "ruleIndex", (int64_t)f->rule);
    tl__jw_member_string(w, "level", g.failing ? "error" : "warning");
    text_object(w, "message", message ? message : f->message);
    write_locations(w, m, f);
    write_code_flow(w, m, f);
    tl__jw_key(w, "partialFingerprints");
    tl__jw_begin_object(w);
    tl__jw_member_string(w, FINGERPRINT_KEY, f->fingerprint);
    tl__jw_end_object(w);
    write_properties(w, m, i, &g);
    tl__jw_end_object(w);
    free(message);
    return 0;
}

/* "file:///src/project/": what uriBaseId SRCROOT stands for; a reader may rebase it. */
static int write_base_ids(struct tl__json_writer *w, const struct tl__ci_model *m)
{
    char *uri = ci_root_uri(m);
    if (!uri)
        return -1;
    tl__jw_key(w, "originalUriBaseIds");
    tl__jw_begin_object(w);
    tl__jw_key(w, SRCROOT);
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "uri", uri);
    tl__jw_end_object(w);
    tl__jw_end_object(w);
    free(uri);
    return 0;
}

int sarif_write(const struct tl__ci_model *m, FILE *out)
{
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_member_string(&w, "$schema", SARIF_SCHEMA);
    tl__jw_member_string(&w, "version", "2.1.0");
    tl__jw_key(&w, "runs");
    tl__jw_begin_array(&w);
    tl__jw_begin_object(&w);
    write_tool(&w);
    int rc = write_base_ids(&w, m);
    tl__jw_key(&w, "results");
    tl__jw_begin_array(&w);
    for (size_t i = 0; rc == 0 && i < m->nfinding; i++)
        if (!merged_earlier(m, i))
            rc = write_result(&w, m, i);
    tl__jw_end_array(&w);
    tl__jw_end_object(&w);
    tl__jw_end_array(&w);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w) == 0 && rc == 0 ? 0 : -1;
}
