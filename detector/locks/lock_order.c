/* The lock-order graph (lock_order.h). Three arrays in one mapping: the edge keys, probed
 * lock-free by every acquisition made with locks held; the edge records; and, per node with
 * outgoing edges, the head of its list. Only lock_order_add writes, under graph_lock, so keys are
 * published with one release store each after the record is complete. */
#include "lock_order.h"

#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define KEY_SLOTS  (2u * TL_ORDER_MAX_EDGES) /* a power of two; half full at most */
#define NODE_SLOTS (2u * TL_ORDER_MAX_EDGES)

struct node_slot {
    uint32_t node;     /* identity, 0 = free */
    uint32_t head;     /* first outgoing edge, index + 1 */
    uint32_t stamp[2]; /* the search that last reached it, per arrival mode */
    uint8_t depth[2];  /* at which depth */
};

struct graph {
    _Atomic uint64_t keys[KEY_SLOTS];
    struct tl__order_edge edges[TL_ORDER_MAX_EDGES];
    struct node_slot nodes[NODE_SLOTS];
};

static struct graph *_Atomic graph_memory;
static atomic_flag graph_lock = ATOMIC_FLAG_INIT;
static uint32_t nedges; /* under graph_lock */
static uint32_t search; /* the current search's stamp, under graph_lock */
static struct tl__order_cycle cycles[TL_ORDER_MAX_CYCLES];
static uint32_t ncycles;
static _Atomic uint64_t edges_not_tracked, cycles_not_recorded, cycles_found;

static inline uint64_t edge_key(uint32_t from, uint32_t to, bool held_read, bool acquired_read)
{
    return (uint64_t)from << 32 | (uint64_t)to << 2 | (uint64_t)held_read << 1 | acquired_read;
}

static inline unsigned key_slot(uint64_t key)
{
    return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 40) & (KEY_SLOTS - 1);
}

bool lock_order_known(uint32_t from, uint32_t to, bool held_read, bool acquired_read)
{
    struct graph *g = atomic_load_explicit(&graph_memory, memory_order_acquire);
    if (!g)
        return false;
    uint64_t key = edge_key(from, to, held_read, acquired_read);
    for (unsigned i = key_slot(key), n = 0; n < KEY_SLOTS; i = (i + 1) & (KEY_SLOTS - 1), n++) {
        uint64_t k = atomic_load_explicit(&g->keys[i], memory_order_acquire);
        if (k == key)
            return true;
        if (k == 0)
            return false;
    }
    return false;
}

static void graph_lock_take(void)
{
    unsigned spins = 0;
    while (atomic_flag_test_and_set_explicit(&graph_lock, memory_order_acquire))
        if (++spins % 64 == 0)
            sched_yield();
}

static void graph_lock_release(void)
{
    atomic_flag_clear_explicit(&graph_lock, memory_order_release);
}

static struct graph *graph_mapped(void)
{
    struct graph *g = atomic_load_explicit(&graph_memory, memory_order_relaxed);
    if (g)
        return g;
    void *m = mmap(NULL, sizeof *g, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    atomic_store_explicit(&graph_memory, (struct graph *)m, memory_order_release);
    return m;
}

static struct node_slot *node_find(struct graph *g, uint32_t node, bool create)
{
    for (unsigned i = key_slot(node), n = 0; n < NODE_SLOTS; i = (i + 1) & (NODE_SLOTS - 1), n++) {
        if (g->nodes[i].node == node)
            return &g->nodes[i];
        if (g->nodes[i].node == 0) {
            if (!create)
                return NULL;
            g->nodes[i].node = node;
            return &g->nodes[i];
        }
    }
    return NULL;
}

/* A depth-first search for a path back to the new edge's from, from its to. Each step obeys the
 * read rule (lock_order.h): leaving a lock held for reading is not allowed where it was reached
 * by a read acquisition. path receives the edges; returns their number, 0 when there is none. */
struct search_frame {
    uint32_t node;
    bool in_read;
    uint32_t next; /* the next edge to try, index + 1 */
};

static bool may_visit(struct node_slot *s, bool in_read, unsigned depth)
{
    if (s->stamp[in_read] == search && s->depth[in_read] <= depth)
        return false;
    s->stamp[in_read] = search;
    s->depth[in_read] = (uint8_t)depth;
    return true;
}

static unsigned find_path(struct graph *g, const struct tl__order_edge *e, uint32_t *path)
{
    struct search_frame stack[TL_ORDER_CYCLE_MAX];
    search++;
    struct node_slot *start = node_find(g, e->to, false);
    if (!start)
        return 0;
    may_visit(start, e->acquired_read, 0);
    unsigned depth = 0;
    stack[0] = (struct search_frame){e->to, e->acquired_read, start->head};
    for (;;) {
        struct search_frame *f = &stack[depth];
        if (f->next == 0) {
            if (depth == 0)
                return 0;
            depth--;
            continue;
        }
        uint32_t index = f->next - 1;
        const struct tl__order_edge *x = &g->edges[index];
        f->next = x->next_out;
        if (f->in_read && x->held_read)
            continue; /* two readers of the same lock: no wait here */
        path[depth] = index;
        if (x->to == e->from) {
            if (!(x->acquired_read && e->held_read))
                return depth + 1;
            continue;
        }
        if (depth + 2 >= TL_ORDER_CYCLE_MAX)
            continue; /* the cycle would be too long to record */
        struct node_slot *next = node_find(g, x->to, false);
        if (!next || !may_visit(next, x->acquired_read, depth + 1))
            continue;
        depth++;
        stack[depth] = (struct search_frame){x->to, x->acquired_read, next->head};
    }
}

/* A cycle on the same locks as one recorded already (another mode, or the same inversion closed
 * by a third thread) is the same finding. */
static bool same_locks(struct graph *g, const struct tl__order_cycle *a, const uint32_t *edges,
                       unsigned n)
{
    if (a->nedges != n)
        return false;
    for (unsigned i = 0; i < n; i++) {
        bool found = false;
        for (unsigned j = 0; j < n && !found; j++)
            found = g->edges[a->edges[j]].from == g->edges[edges[i]].from;
        if (!found)
            return false;
    }
    return true;
}

static void record_cycle(struct graph *g, uint32_t new_edge, const uint32_t *path, unsigned n)
{
    uint32_t edges[TL_ORDER_CYCLE_MAX];
    edges[0] = new_edge;
    memcpy(edges + 1, path, n * sizeof *path);
    for (uint32_t i = 0; i < ncycles; i++)
        if (same_locks(g, &cycles[i], edges, n + 1))
            return;
    atomic_fetch_add_explicit(&cycles_found, 1, memory_order_relaxed);
    if (ncycles == TL_ORDER_MAX_CYCLES) {
        atomic_fetch_add_explicit(&cycles_not_recorded, 1, memory_order_relaxed);
        return;
    }
    cycles[ncycles].nedges = n + 1;
    memcpy(cycles[ncycles].edges, edges, (n + 1) * sizeof *edges);
    ncycles++;
}

bool lock_order_add(const struct tl__order_edge *e)
{
    graph_lock_take();
    struct graph *g = graph_mapped();
    uint64_t key = edge_key(e->from, e->to, e->held_read, e->acquired_read);
    bool added = false;
    if (!g || nedges == TL_ORDER_MAX_EDGES) {
        atomic_fetch_add_explicit(&edges_not_tracked, 1, memory_order_relaxed);
        goto out;
    }
    unsigned i = key_slot(key);
    for (unsigned n = 0; n < KEY_SLOTS; i = (i + 1) & (KEY_SLOTS - 1), n++) {
        uint64_t k = atomic_load_explicit(&g->keys[i], memory_order_relaxed);
        if (k == key)
            goto out; /* another thread added it first */
        if (k == 0)
            break;
    }
    struct node_slot *from = node_find(g, e->from, true);
    if (!from) {
        atomic_fetch_add_explicit(&edges_not_tracked, 1, memory_order_relaxed);
        goto out;
    }
    uint32_t index = nedges++;
    g->edges[index] = *e;
    g->edges[index].next_out = from->head;
    from->head = index + 1;
    atomic_store_explicit(&g->keys[i], key, memory_order_release);
    added = true;
    uint32_t path[TL_ORDER_CYCLE_MAX];
    unsigned n = find_path(g, e, path);
    if (n)
        record_cycle(g, index, path, n);
out:
    graph_lock_release();
    return added;
}

size_t lock_order_cycles(struct tl__order_cycle *out_cycles, size_t max_cycles)
{
    graph_lock_take();
    size_t n = ncycles < max_cycles ? ncycles : max_cycles;
    memcpy(out_cycles, cycles, n * sizeof *cycles);
    graph_lock_release();
    return n;
}

bool lock_order_edge(uint32_t index, struct tl__order_edge *out)
{
    graph_lock_take();
    struct graph *g = atomic_load_explicit(&graph_memory, memory_order_relaxed);
    bool ok = g && index < nedges;
    if (ok)
        *out = g->edges[index];
    graph_lock_release();
    return ok;
}

struct tl__order_stats lock_order_stats(void)
{
    graph_lock_take();
    struct tl__order_stats s = {
        .edges = nedges,
        .edges_not_tracked = atomic_load(&edges_not_tracked),
        .cycles = atomic_load(&cycles_found),
        .cycles_not_recorded = atomic_load(&cycles_not_recorded),
    };
    graph_lock_release();
    return s;
}

void lock_order_fork_child(void)
{
    atomic_flag_clear(&graph_lock);
}

void lock_order_reset_for_tests(void)
{
    struct graph *g = atomic_load(&graph_memory);
    if (g)
        munmap(g, sizeof *g);
    atomic_store(&graph_memory, NULL);
    nedges = 0;
    ncycles = 0;
    search = 0;
    atomic_store(&edges_not_tracked, 0);
    atomic_store(&cycles_not_recorded, 0);
    atomic_store(&cycles_found, 0);
}
