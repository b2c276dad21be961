/* /debug/threads/growth?format=json: growth_report.h. */
#include "growth_report.h"

#include "json_writer.h"

static void write_group(struct tl__json_writer *w, const struct growth_group_view *g)
{
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "start_routine", g->site.start_routine);
    tl__jw_key(w, "created_at");
    tl__jw_begin_object(w);
    tl__jw_member_string(w, "function", g->site.function);
    tl__jw_member_string(w, "file", g->site.file); /* null without line information */
    tl__jw_member_int(w, "line", g->site.line);
    tl__jw_end_object(w);
    tl__jw_member_uint64(w, "live", g->live);
    tl__jw_member_uint64(w, "created_total", g->created_total);
    tl__jw_member_uint64(w, "exited_total", g->exited_total);
    tl__jw_member_string(w, "trend", growth_trend_name(g->trend.trend));
    tl__jw_key(w, "growth_per_hour");
    tl__jw_double(w, g->trend.per_hour);
    tl__jw_key(w, "samples");
    tl__jw_begin_array(w);
    for (size_t i = 0; i < g->nsamples; i++) {
        tl__jw_begin_array(w);
        tl__jw_int(w, g->t_ms[i]);
        tl__jw_uint64(w, g->counts[i]);
        tl__jw_end_array(w);
    }
    tl__jw_end_array(w);
    tl__jw_end_object(w);
}

int growth_write_json(FILE *out, const struct growth_view *v)
{
    struct tl__json_writer w;
    tl__jw_init(&w, out);
    tl__jw_begin_object(&w);
    tl__jw_member_uint64(&w, "sample_ms", v->sample_ms);
    tl__jw_member_uint64(&w, "window_s", v->window_s);
    tl__jw_member_uint64(&w, "max_samples", v->max_samples);
    tl__jw_member_uint64(&w, "samples_taken", v->samples_taken);
    tl__jw_member_uint64(&w, "max_groups", v->max_groups);
    tl__jw_member_uint64(&w, "threads_unattributed", v->threads_unattributed);
    tl__jw_key(&w, "groups");
    tl__jw_begin_array(&w);
    for (size_t i = 0; i < v->ngroups; i++)
        write_group(&w, &v->groups[i]);
    tl__jw_end_array(&w);
    tl__jw_end_object(&w);
    return tl__jw_finish(&w);
}
