/* Routing and rendering for the endpoint. Runs in the HTTP module's server thread (a tool thread):
 * each request takes its own profile, renders it into a memory stream and frees it. */
#include "endpoint_routes.h"

#include "endpoint_address.h"
#include "growth_report.h"
#include "growth_sampler.h"
#include "lock_page.h"
#include "locks_hooks.h"
#include "profile_html.h"
#include "profile_json.h"
#include "profile_metrics.h"
#include "profile_text.h"
#include "shim_state.h"
#include "thread_profile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_TYPE  "text/plain; charset=utf-8"
#define HTML_TYPE  "text/html; charset=utf-8"
#define JSON_TYPE  "application/json"
#define PPROF_TYPE "application/octet-stream"

enum rendering {
    RENDER_HTML,
    RENDER_DEBUG1,
    RENDER_DEBUG2,
    RENDER_JSON,
    RENDER_PPROF,
    RENDER_METRICS,
    RENDER_LOCKS_TEXT,
    RENDER_LOCKS_JSON,
    RENDER_GROWTH_TEXT,
    RENDER_GROWTH_JSON,
    RENDER_BAD_ARGUMENT,
};

#define LOCKS_ABSENT                                                                               \
    "threadleak: lock module not loaded (preload libthreadleak-locks.so with locks=1, or use "     \
    "threadleak run --locks)\n"

static void set_text(struct tl__http_response *r, unsigned status, const char *text)
{
    r->status = status;
    r->content_type = TEXT_TYPE;
    r->body = strdup(text);
    r->length = r->body ? strlen(r->body) : 0;
}

static enum rendering debug_argument(const struct tl__http_request *req, enum rendering fallback)
{
    const char *debug = req->arg(req->ctx, "debug");
    if (!debug)
        return fallback;
    if (strcmp(debug, "0") == 0)
        return RENDER_PPROF;
    if (strcmp(debug, "1") == 0)
        return RENDER_DEBUG1;
    if (strcmp(debug, "2") == 0)
        return RENDER_DEBUG2;
    return RENDER_BAD_ARGUMENT;
}

static enum rendering threads_rendering(const struct tl__http_request *req)
{
    const char *format = req->arg(req->ctx, "format");
    if (!format)
        return debug_argument(req, RENDER_DEBUG1);
    return strcmp(format, "json") == 0 ? RENDER_JSON : RENDER_BAD_ARGUMENT;
}

static enum rendering locks_rendering(const struct tl__http_request *req)
{
    const char *format = req->arg(req->ctx, "format");
    if (!format || strcmp(format, "text") == 0)
        return RENDER_LOCKS_TEXT;
    return strcmp(format, "json") == 0 ? RENDER_LOCKS_JSON : RENDER_BAD_ARGUMENT;
}

static enum rendering growth_rendering(const struct tl__http_request *req)
{
    const char *format = req->arg(req->ctx, "format");
    if (!format || strcmp(format, "text") == 0)
        return RENDER_GROWTH_TEXT;
    return strcmp(format, "json") == 0 ? RENDER_GROWTH_JSON : RENDER_BAD_ARGUMENT;
}

/* The rendering for a path, or -1 for an unknown path. */
static int rendering_for(const struct tl__http_request *req)
{
    const char *path = req->path;
    if (strcmp(path, "/") == 0 || strcmp(path, "/debug/pprof/") == 0)
        return RENDER_HTML;
    if (strcmp(path, "/debug/threads") == 0)
        return threads_rendering(req);
    if (strcmp(path, "/debug/pprof/goroutine") == 0 || strcmp(path, "/debug/pprof/threads") == 0)
        return debug_argument(req, RENDER_PPROF);
    if (strcmp(path, "/metrics") == 0)
        return RENDER_METRICS;
    if (strcmp(path, "/debug/locks") == 0)
        return locks_rendering(req);
    if (strcmp(path, "/debug/threads/growth") == 0)
        return growth_rendering(req);
    return -1;
}

/* /metrics's growth families, from the sampler's history (growth_sampler.h). */
static int write_growth_metrics(FILE *out)
{
    struct growth_view view;
    if (growth_sampler_view(&view) != 0)
        return 0; /* no sampler: the families are absent, as without the endpoint */
    int rc = growth_write_metrics(out, &view);
    growth_view_free(&view);
    return rc;
}

static int render_text(enum rendering how, const struct thread_profile *p, char **body, size_t *len)
{
    FILE *out = open_memstream(body, len);
    if (!out)
        return -1;
    int rc = -1;
    switch (how) {
    case RENDER_HTML:
        rc = profile_write_html(out, p);
        break;
    case RENDER_DEBUG1:
        rc = profile_write_debug1(out, p);
        break;
    case RENDER_DEBUG2:
        rc = profile_write_debug2(out, p);
        break;
    case RENDER_JSON:
        rc = profile_write_json(out, p);
        break;
    case RENDER_METRICS:
        rc = profile_write_metrics(out, p);
        if (rc == 0)
            rc = write_growth_metrics(out);
        break;
    default:
        break;
    }
    if (fclose(out) != 0)
        rc = -1;
    if (rc != 0) {
        free(*body);
        *body = NULL;
    }
    return rc;
}

static int render(enum rendering how, const struct thread_profile *p, struct tl__http_response *r,
                  const struct tl__http_module *m)
{
    static const char *const types[] = {
        [RENDER_HTML] = HTML_TYPE,   [RENDER_DEBUG1] = TEXT_TYPE,
        [RENDER_DEBUG2] = TEXT_TYPE, [RENDER_JSON] = JSON_TYPE,
        [RENDER_PPROF] = PPROF_TYPE, [RENDER_METRICS] = PROFILE_METRICS_CONTENT_TYPE,
    };
    r->status = 200;
    r->content_type = types[how];
    if (how != RENDER_PPROF)
        return render_text(how, p, &r->body, &r->length);
    unsigned char *bytes = NULL;
    if (!m || m->encode_pprof(p, &bytes, &r->length) != 0)
        return -1;
    r->body = (char *)bytes;
    r->content_disposition = "attachment; filename=\"threads.pb.gz\"";
    return 0;
}

static void answer(enum rendering how, struct tl__http_response *r, const struct tl__http_module *m)
{
    struct thread_profile_options options;
    thread_profile_options_from_config(&tl__cfg, &options);
    options.states_only = how == RENDER_METRICS; /* scraped often: never interrupt threads */
    options.wchan = how == RENDER_JSON;          /* the one format that shows it */
    struct thread_profile p;
    if (thread_profile_take(&options, &p) != 0) {
        set_text(r, 500, "threadleak: cannot take a thread profile\n");
        return;
    }
    if (render(how, &p, r, m) != 0) {
        free(r->body);
        *r = (struct tl__http_response){0};
        set_text(r, 500, "threadleak: cannot render the thread profile\n");
    }
    thread_profile_free(&p);
}

/* /debug/locks: the lock module's page, or a 404 that says why there is none. */
static void answer_locks(enum rendering how, struct tl__http_response *r)
{
    bool absent = false;
    struct tl__lock_page *page = locks_page_build(&absent);
    if (!page) {
        set_text(r, absent ? 404 : 500,
                 absent ? LOCKS_ABSENT : "threadleak: cannot build the locks page\n");
        return;
    }
    FILE *out = open_memstream(&r->body, &r->length);
    int rc = -1;
    if (out) {
        rc = how == RENDER_LOCKS_JSON ? lock_page_write_json(out, page)
                                      : lock_page_write_text(out, page);
        if (fclose(out) != 0)
            rc = -1;
    }
    locks_page_free(page);
    if (rc != 0) {
        free(r->body);
        *r = (struct tl__http_response){0};
        set_text(r, 500, "threadleak: cannot render the locks page\n");
        return;
    }
    r->status = 200;
    r->content_type = how == RENDER_LOCKS_JSON ? JSON_TYPE : TEXT_TYPE;
}

/* /debug/threads/growth: the sampler's history, with no new look at the threads. */
static void answer_growth(enum rendering how, struct tl__http_response *r)
{
    struct growth_view view;
    if (growth_sampler_view(&view) != 0) {
        set_text(r, 500, "threadleak: no growth history (out of memory)\n");
        return;
    }
    FILE *out = open_memstream(&r->body, &r->length);
    int rc = -1;
    if (out) {
        rc = how == RENDER_GROWTH_JSON ? growth_write_json(out, &view)
                                       : growth_write_text(out, &view);
        if (fclose(out) != 0)
            rc = -1;
    }
    growth_view_free(&view);
    if (rc != 0) {
        free(r->body);
        *r = (struct tl__http_response){0};
        set_text(r, 500, "threadleak: cannot render the growth page\n");
        return;
    }
    r->status = 200;
    r->content_type = how == RENDER_GROWTH_JSON ? JSON_TYPE : TEXT_TYPE;
}

void endpoint_routes_answer(const struct tl__http_request *req, struct tl__http_response *r,
                            const struct tl__http_module *m)
{
    *r = (struct tl__http_response){0};
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        set_text(r, 405, "threadleak: only GET and HEAD\n");
        r->allow = "GET, HEAD";
        return;
    }
    if (!endpoint_host_header_ok(req->host)) {
        set_text(r, 403, "threadleak: the endpoint answers to loopback host names only\n");
        return;
    }
    int how = rendering_for(req);
    if (how < 0) {
        set_text(r, 404, "threadleak: no such page; see / for the list\n");
        return;
    }
    if (how == RENDER_BAD_ARGUMENT) {
        set_text(r, 400, "threadleak: use ?debug=0, 1 or 2, or ?format=json\n");
        return;
    }
    if (how == RENDER_LOCKS_TEXT || how == RENDER_LOCKS_JSON) {
        answer_locks((enum rendering)how, r);
        return;
    }
    if (how == RENDER_GROWTH_TEXT || how == RENDER_GROWTH_JSON) {
        answer_growth((enum rendering)how, r);
        return;
    }
    answer((enum rendering)how, r, m);
}
