/* Grouping by stack. Stacks are interned in the profile, so equal stacks have equal indexes and a
 * sort on (kind, index[, name, state]) brings each group together. */
#include "profile_groups.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sort_ctx {
    const struct thread_profile *p;
    enum profile_group_key key;
};

/* The stack a thread is grouped by: its current stack, else its start-routine stand-in, else
 * THREAD_PROFILE_NO_STACK. *is_current says which. */
static uint32_t grouping_stack(const struct thread_profile_thread *t, bool *is_current)
{
    *is_current = t->stack != THREAD_PROFILE_NO_STACK;
    return *is_current ? t->stack : t->start_stack;
}

/* current stacks before start-routine stand-ins before no stack; then the stack index. */
static uint64_t stack_rank(const struct thread_profile_thread *t)
{
    bool current;
    uint32_t stack = grouping_stack(t, &current);
    if (stack == THREAD_PROFILE_NO_STACK)
        return UINT64_MAX;
    return ((uint64_t)(current ? 0 : 1) << 32) | stack;
}

static int compare_members(const void *pa, const void *pb, void *vctx)
{
    const struct sort_ctx *ctx = vctx;
    const struct thread_profile_thread *a = &ctx->p->threads[*(const size_t *)pa];
    const struct thread_profile_thread *b = &ctx->p->threads[*(const size_t *)pb];
    uint64_t ra = stack_rank(a), rb = stack_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ctx->key == PROFILE_GROUP_BY_STACK_NAME_STATE) {
        int names = strcmp(a->name, b->name);
        if (names)
            return names;
        if (a->state != b->state)
            return a->state < b->state ? -1 : 1;
    }
    return (a->tid > b->tid) - (a->tid < b->tid);
}

static bool same_group(const struct sort_ctx *ctx, size_t ia, size_t ib)
{
    const struct thread_profile_thread *a = &ctx->p->threads[ia], *b = &ctx->p->threads[ib];
    if (stack_rank(a) != stack_rank(b))
        return false;
    if (stack_rank(a) == UINT64_MAX)
        return false; /* no stack at all: nothing says two such threads are alike */
    if (ctx->key == PROFILE_GROUP_BY_STACK_NAME_STATE)
        return strcmp(a->name, b->name) == 0 && a->state == b->state;
    return true;
}

/* Largest first; equal sizes in the order of their first thread. */
static int compare_groups(const void *pa, const void *pb, void *vorder)
{
    const struct profile_group *a = pa, *b = pb;
    const size_t *order = vorder;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return (order[a->first] > order[b->first]) - (order[a->first] < order[b->first]);
}

int profile_group_threads(const struct thread_profile *p, enum profile_group_key key,
                          struct profile_grouping *out)
{
    memset(out, 0, sizeof *out);
    size_t n = p->count;
    out->order = malloc((n ? n : 1) * sizeof *out->order);
    out->groups = malloc((n ? n : 1) * sizeof *out->groups);
    if (!out->order || !out->groups) {
        profile_grouping_free(out);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        out->order[i] = i;
    struct sort_ctx ctx = {p, key};
    qsort_r(out->order, n, sizeof *out->order, compare_members, &ctx);
    for (size_t i = 0; i < n;) {
        size_t end = i + 1;
        while (end < n && same_group(&ctx, out->order[i], out->order[end]))
            end++;
        bool current;
        uint32_t stack = grouping_stack(&p->threads[out->order[i]], &current);
        out->groups[out->ngroups++] = (struct profile_group){stack, current, end - i, i};
        i = end;
    }
    qsort_r(out->groups, out->ngroups, sizeof *out->groups, compare_groups, out->order);
    return 0;
}

void profile_grouping_free(struct profile_grouping *g)
{
    free(g->order);
    free(g->groups);
    memset(g, 0, sizeof *g);
}
