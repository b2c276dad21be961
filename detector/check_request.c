/* Building a check's request: what the configuration says, and the filters every check has, in
 * the order the verdict asks them. Callers add their own filters after these. */
#include "check.h"

#include "suppressions.h"

#include <stdio.h>
#include <string.h>

/* Runtimes' own threads (the JVM's, node's inspector), asked before the user's file so that the
 * file's hit counts are about the user's threads only. */
static void add_default_suppressions(struct tl__check_request *req, bool enabled)
{
    req->default_filter = -1;
    if (!enabled)
        return;
    int at = (int)req->nfilters;
    if (check_add_filter(req, "default suppressions", default_suppressions_ignores,
                         &req->default_hits) == 0)
        req->default_filter = at;
}

static bool suppressed_by_file(const struct tl__thread_info *t, void *ctx)
{
    struct tl__frame stack[TL_MAX_FRAMES];
    size_t depth = findings_creation_stack(t, stack);
    return suppressions_match_thread(ctx, symbolize_function(t->start_routine), stack, depth);
}

/* Loaded for each check, so that a check sees the file as it is now, and counts its hits from
 * zero. */
static void add_suppressions_file(struct tl__check_request *req, const char *path)
{
    if (!path[0])
        return;
    char err[512];
    req->file = suppressions_load(path, err, sizeof err);
    if (!req->file) {
        fprintf(stderr, "threadleak: suppressions: %s\n", err);
        return;
    }
    check_add_filter(req, "suppressions", suppressed_by_file, req->file);
}

void check_request_init(struct tl__check_request *req, const struct tl__config *cfg,
                        pid_t calling_tid)
{
    *req = (struct tl__check_request){
        .verdict =
            {
                .mode = cfg->mode,
                .linger_ms = cfg->linger_ms,
                .calling_tid = calling_tid,
            },
        .live_state = true,
        .live = check_live_options(cfg),
        .label = cfg->label[0] ? cfg->label : NULL,
    };
    add_default_suppressions(req, cfg->default_suppressions);
    add_suppressions_file(req, cfg->suppressions);
}

int check_add_filter(struct tl__check_request *req, const char *name,
                     bool (*ignores)(const struct tl__thread_info *t, void *ctx), void *ctx)
{
    if (req->nfilters == TL_VERDICT_MAX_FILTERS)
        return -1;
    req->filters[req->nfilters++] = (struct tl__verdict_filter){name, ignores, ctx};
    return 0;
}

void check_request_fini(struct tl__check_request *req)
{
    suppressions_free(req->file);
    memset(req, 0, sizeof *req);
}
