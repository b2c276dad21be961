/* profile.proto through protobuf-c. The message is assembled in one arena of plain C structs
 * pointing at each other, packed once, and the arena is dropped. Strings are deduplicated into
 * the string table; functions by (name, file); only locations that a sample uses are written,
 * with ids 1..n in first-use order. */
#include "profile_pprof.h"

#include "profile_groups.h"
#include "profile.pb-c.h"
#include "toolbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ARENA_CHUNK (64u * 1024u)

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__ValueType ValueType;

/* ---- a bump arena: everything of one encoding, freed at once ---- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct encoder {
    const struct thread_profile *p;
    struct arena_chunk *chunks;
    bool failed;
    /* string table with an open-addressing index (entry + 1, 0 = empty) */
    char **strings;
    size_t nstrings, strings_cap;
    uint32_t *string_slots;
    size_t string_slots_cap;
    /* functions, deduplicated by (name, file) */
    Function **functions;
    size_t nfunctions, functions_cap;
    uint32_t *function_slots;
    size_t function_slots_cap;
    /* profile location index -> pprof location id (0 = not written yet) */
    uint64_t *location_ids;
    Location **locations;
    size_t nlocations;
};

static void *arena_alloc(struct encoder *e, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct arena_chunk *c = e->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c) {
            e->failed = true;
            return NULL;
        }
        c->next = e->chunks;
        c->used = 0;
        c->cap = cap;
        e->chunks = c;
    }
    void *ptr = (char *)c->data + c->used;
    c->used += size;
    memset(ptr, 0, size);
    return ptr;
}

static bool grow(struct encoder *e, void **items, size_t count, size_t *cap, size_t item_size)
{
    if (tl__grow(items, count, cap, item_size, 64))
        return true;
    e->failed = true;
    return false;
}

/* ---- string table ---- */

static bool grow_string_slots(struct encoder *e)
{
    size_t cap = e->string_slots_cap ? e->string_slots_cap * 2 : 256;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) {
        e->failed = true;
        return false;
    }
    for (size_t i = 1; i < e->nstrings; i++) {
        size_t j = tl__hash_string(TL__HASH_SEED, e->strings[i]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = (uint32_t)i + 1;
    }
    free(e->string_slots);
    e->string_slots = slots;
    e->string_slots_cap = cap;
    return true;
}

/* The string's index; "" and NULL are 0. */
static int64_t string_index(struct encoder *e, const char *s)
{
    if (!s || !*s || e->failed)
        return 0;
    if (e->nstrings * 2 >= e->string_slots_cap && !grow_string_slots(e))
        return 0;
    size_t i = tl__hash_string(TL__HASH_SEED, s) & (e->string_slots_cap - 1);
    for (; e->string_slots[i]; i = (i + 1) & (e->string_slots_cap - 1)) {
        uint32_t index = e->string_slots[i] - 1;
        if (strcmp(e->strings[index], s) == 0)
            return index;
    }
    if (!grow(e, (void **)&e->strings, e->nstrings, &e->strings_cap, sizeof *e->strings))
        return 0;
    e->strings[e->nstrings] = (char *)s; /* the profile's strings outlive the encoding */
    e->string_slots[i] = (uint32_t)e->nstrings + 1;
    return (int64_t)e->nstrings++;
}

/* ---- functions ---- */

static uint64_t function_hash(int64_t name, int64_t file)
{
    return ((uint64_t)name * 0x9E3779B97F4A7C15u) ^ ((uint64_t)file * 0xC2B2AE3D27D4EB4Fu);
}

static bool grow_function_slots(struct encoder *e)
{
    size_t cap = e->function_slots_cap ? e->function_slots_cap * 2 : 256;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) {
        e->failed = true;
        return false;
    }
    for (size_t i = 0; i < e->nfunctions; i++) {
        const Function *f = e->functions[i];
        size_t j = function_hash(f->name, f->filename) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = (uint32_t)i + 1;
    }
    free(e->function_slots);
    e->function_slots = slots;
    e->function_slots_cap = cap;
    return true;
}

static uint64_t function_id(struct encoder *e, const struct tl__frame *frame)
{
    int64_t name = string_index(e, frame->function), file = string_index(e, frame->file);
    if (e->failed || (e->nfunctions * 2 >= e->function_slots_cap && !grow_function_slots(e)))
        return 0;
    size_t i = function_hash(name, file) & (e->function_slots_cap - 1);
    for (; e->function_slots[i]; i = (i + 1) & (e->function_slots_cap - 1)) {
        const Function *f = e->functions[e->function_slots[i] - 1];
        if (f->name == name && f->filename == file)
            return f->id;
    }
    Function *f = arena_alloc(e, sizeof *f);
    if (!f ||
        !grow(e, (void **)&e->functions, e->nfunctions, &e->functions_cap, sizeof *e->functions))
        return 0;
    perftools__profiles__function__init(f);
    f->id = e->nfunctions + 1;
    f->name = name;
    f->system_name = name;
    f->filename = file;
    e->functions[e->nfunctions] = f;
    e->function_slots[i] = (uint32_t)++e->nfunctions;
    return f->id;
}

/* ---- locations and samples ---- */

static uint64_t location_id(struct encoder *e, uint32_t index)
{
    if (e->location_ids[index])
        return e->location_ids[index];
    const struct tl__location *loc = &e->p->locations[index];
    Location *l = arena_alloc(e, sizeof *l);
    Line *lines = arena_alloc(e, loc->nframes * sizeof *lines);
    Line **line_ptrs = arena_alloc(e, loc->nframes * sizeof *line_ptrs);
    if (!l || !lines || !line_ptrs)
        return 0;
    perftools__profiles__location__init(l);
    l->id = e->nlocations + 1;
    l->address = loc->pc;
    for (uint32_t k = 0; k < loc->nframes; k++) {
        perftools__profiles__line__init(&lines[k]);
        lines[k].function_id = function_id(e, &loc->frames[k]);
        lines[k].line = loc->frames[k].line;
        line_ptrs[k] = &lines[k];
    }
    l->n_line = loc->nframes;
    l->line = line_ptrs;
    e->locations[e->nlocations++] = l;
    e->location_ids[index] = l->id;
    return l->id;
}

static Label *label(struct encoder *e, const char *key, const char *value)
{
    Label *l = arena_alloc(e, sizeof *l);
    if (!l)
        return NULL;
    perftools__profiles__label__init(l);
    l->key = string_index(e, key);
    l->str = string_index(e, value);
    return l;
}

#define SAMPLE_LABELS 3

static Sample *sample_of(struct encoder *e, const struct profile_group *g,
                         const struct thread_profile_thread *first)
{
    const struct thread_profile_stack *s =
        g->stack == THREAD_PROFILE_NO_STACK ? NULL : &e->p->stacks[g->stack];
    uint32_t depth = s ? s->depth : 0;
    Sample *sample = arena_alloc(e, sizeof *sample);
    uint64_t *ids = arena_alloc(e, (depth ? depth : 1) * sizeof *ids);
    int64_t *value = arena_alloc(e, sizeof *value);
    Label **labels = arena_alloc(e, SAMPLE_LABELS * sizeof *labels);
    if (!sample || !ids || !value || !labels)
        return NULL;
    perftools__profiles__sample__init(sample);
    for (uint32_t i = 0; i < depth; i++)
        ids[i] = location_id(e, s->locations[i]);
    *value = (int64_t)g->count;
    labels[0] = label(e, "thread_name", first->name);
    labels[1] = label(e, "state", thread_profile_state_name(first->state));
    labels[2] = label(e, "stack", !s ? "none" : g->current ? "current" : "start routine");
    sample->n_location_id = depth;
    sample->location_id = ids;
    sample->n_value = 1;
    sample->value = value;
    sample->n_label = SAMPLE_LABELS;
    sample->label = labels;
    return e->failed ? NULL : sample;
}

static ValueType *threads_count(struct encoder *e)
{
    ValueType *v = arena_alloc(e, sizeof *v);
    if (!v)
        return NULL;
    perftools__profiles__value_type__init(v);
    v->type = string_index(e, "threads");
    v->unit = string_index(e, "count");
    return v;
}

static bool build_samples(struct encoder *e, Profile *msg, const struct profile_grouping *g)
{
    Sample **samples = arena_alloc(e, (g->ngroups ? g->ngroups : 1) * sizeof *samples);
    if (!samples)
        return false;
    for (size_t i = 0; i < g->ngroups; i++) {
        const struct profile_group *group = &g->groups[i];
        samples[i] = sample_of(e, group, &e->p->threads[g->order[group->first]]);
        if (!samples[i])
            return false;
    }
    msg->n_sample = g->ngroups;
    msg->sample = samples;
    return true;
}

static bool build(struct encoder *e, Profile *msg, const struct profile_grouping *g)
{
    const struct thread_profile *p = e->p;
    e->strings = NULL;
    if (!grow(e, (void **)&e->strings, 0, &e->strings_cap, sizeof *e->strings))
        return false;
    e->strings[e->nstrings++] = (char *)""; /* entry 0, as the format requires */
    e->location_ids = calloc(p->nlocations ? p->nlocations : 1, sizeof *e->location_ids);
    e->locations = calloc(p->nlocations ? p->nlocations : 1, sizeof *e->locations);
    ValueType *type = threads_count(e), *period = threads_count(e);
    int64_t *comment = arena_alloc(e, sizeof *comment);
    if (!e->location_ids || !e->locations || !type || !period || !comment)
        return false;
    msg->n_sample_type = 1;
    msg->sample_type = arena_alloc(e, sizeof *msg->sample_type);
    if (!msg->sample_type || !build_samples(e, msg, g))
        return false;
    msg->sample_type[0] = type;
    msg->period_type = period;
    msg->period = 1;
    msg->time_nanos = (int64_t)p->taken_ns;
    msg->duration_nanos = (int64_t)p->elapsed_ns;
    char text[96];
    snprintf(text, sizeof text, "threadleak: threads of process %d", (int)p->pid);
    char *copy = arena_alloc(e, strlen(text) + 1);
    if (!copy)
        return false;
    strcpy(copy, text);
    *comment = string_index(e, copy);
    msg->n_comment = 1;
    msg->comment = comment;
    msg->n_location = e->nlocations;
    msg->location = e->locations;
    msg->n_function = e->nfunctions;
    msg->function = e->functions;
    msg->n_string_table = e->nstrings;
    msg->string_table = e->strings;
    return !e->failed;
}

static void encoder_free(struct encoder *e)
{
    for (struct arena_chunk *c = e->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(e->strings);
    free(e->string_slots);
    free(e->functions);
    free(e->function_slots);
    free(e->location_ids);
    free(e->locations);
}

int profile_pprof_encode_raw(const struct thread_profile *p, unsigned char **out, size_t *len)
{
    struct encoder e = {.p = p};
    struct profile_grouping g;
    if (profile_group_threads(p, PROFILE_GROUP_BY_STACK_NAME_STATE, &g) != 0)
        return -1;
    Profile msg = PERFTOOLS__PROFILES__PROFILE__INIT;
    int rc = -1;
    if (build(&e, &msg, &g)) {
        size_t size = perftools__profiles__profile__get_packed_size(&msg);
        *out = malloc(size ? size : 1);
        if (*out) {
            *len = perftools__profiles__profile__pack(&msg, *out);
            rc = 0;
        }
    }
    encoder_free(&e);
    profile_grouping_free(&g);
    return rc;
}

int profile_pprof_gzip(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return -1;
    uLong bound = deflateBound(&zs, (uLong)len);
    unsigned char *buf = malloc(bound);
    int rc = -1;
    if (buf) {
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)len;
        zs.next_out = buf;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) == Z_STREAM_END) {
            *out = buf;
            *out_len = zs.total_out;
            rc = 0;
        } else {
            free(buf);
        }
    }
    deflateEnd(&zs);
    return rc;
}

int profile_pprof_encode(const struct thread_profile *p, unsigned char **out, size_t *len)
{
    unsigned char *raw;
    size_t raw_len;
    if (profile_pprof_encode_raw(p, &raw, &raw_len) != 0)
        return -1;
    int rc = profile_pprof_gzip(raw, raw_len, out, len);
    free(raw);
    return rc;
}
