/* Threads of a profile grouped by identical stack, the largest group first: debug=1's groups and
 * pprof's samples. A thread without a current stack is grouped by its start routine (its
 * start_stack), and a thread with neither by itself alone in the "no stack" group. */
#ifndef THREADLEAK_PROFILE_GROUPS_H
#define THREADLEAK_PROFILE_GROUPS_H

#include "profile_model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum profile_group_key {
    PROFILE_GROUP_BY_STACK,            /* debug=1 */
    PROFILE_GROUP_BY_STACK_NAME_STATE, /* pprof: one sample per stack, name and state */
};

struct profile_group {
    uint32_t stack; /* index into profile->stacks, THREAD_PROFILE_NO_STACK when none */
    bool current;   /* stack is the threads' current stack (else their start routine) */
    size_t count;   /* threads in the group */
    size_t first;   /* the group's threads are order[first .. first + count) */
};

struct profile_grouping {
    size_t *order; /* thread indexes, group by group, by tid inside a group */
    struct profile_group *groups;
    size_t ngroups;
};

/* Groups p's threads. 0, or -ENOMEM (out is then empty). */
int profile_group_threads(const struct thread_profile *p, enum profile_group_key key,
                          struct profile_grouping *out);

void profile_grouping_free(struct profile_grouping *g);

#endif
