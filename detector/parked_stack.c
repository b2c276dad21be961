/* Unwinding a thread parked in a system call from the sp and pc /proc gives: see parked_stack.h.
 *
 * libunwind's remote interface is given our own process as the "remote" one: find_proc_info and
 * the other lookups are the local address space's (dl_iterate_phdr over our own modules), and
 * only the memory and register accessors are ours. Memory is served from the stack copy when the
 * address is in it, and otherwise read with process_vm_readv, which returns EFAULT instead of
 * faulting when a module was unloaded or the stack unmapped meanwhile. */
#include "parked_stack.h"

#include "stack_capture.h"
#include "toolbox.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <libunwind.h> /* the generic (remote-capable) names: _Ux86_64_* */

typedef unw_addr_space_t (*create_addr_space_fn)(unw_accessors_t *, int);
typedef unw_accessors_t *(*get_accessors_fn)(unw_addr_space_t);
typedef int (*set_caching_policy_fn)(unw_addr_space_t, unw_caching_policy_t);
typedef int (*init_remote_fn)(unw_cursor_t *, unw_addr_space_t, void *);
typedef int (*step_fn)(unw_cursor_t *);
typedef int (*get_reg_fn)(unw_cursor_t *, unw_regnum_t, unw_word_t *);

static struct {
    create_addr_space_fn create_addr_space;
    init_remote_fn init_remote;
    step_fn step;
    get_reg_fn get_reg;
    set_caching_policy_fn set_caching;
    unw_addr_space_t space; /* ours: local lookups, our memory and register accessors */
    unw_accessors_t accessors;
    bool ready;
} remote;

/* The stack bytes copied right after /proc was read: [base, base + len) of the thread's stack. */
#define STACK_COPY_BYTES (32u * 1024u)
#define PAGE_BYTES       4096u

struct parked_walk {
    uint64_t sp, pc;
    uint64_t base;
    size_t len;
    unsigned char copy[STACK_COPY_BYTES];
};

/* The stack from sp up, page by page, as far as it is mapped (the copy stops at the first page
 * that is not: process_vm_readv never splits an iovec, so each page is one). */
static void copy_stack(struct parked_walk *walk)
{
    struct iovec local[STACK_COPY_BYTES / PAGE_BYTES + 1];
    struct iovec there[STACK_COPY_BYTES / PAGE_BYTES + 1];
    uint64_t at = walk->sp;
    size_t n = 0, want = 0;
    while (want < STACK_COPY_BYTES) {
        uint64_t page_end = (at | (PAGE_BYTES - 1)) + 1;
        size_t chunk = page_end - at;
        if (chunk > STACK_COPY_BYTES - want)
            chunk = STACK_COPY_BYTES - want;
        local[n] = (struct iovec){walk->copy + want, chunk};
        there[n] = (struct iovec){(void *)(uintptr_t)at, chunk};
        n++;
        want += chunk;
        at += chunk;
    }
    ssize_t got = process_vm_readv(getpid(), local, n, there, n, 0);
    walk->base = walk->sp;
    walk->len = got > 0 ? (size_t)got : 0;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    (void)as;
    struct parked_walk *walk = arg;
    if (write)
        return -UNW_EREADONLYREG; /* an unwind never writes, and must not */
    if (addr >= walk->base && addr + sizeof *val <= walk->base + walk->len) {
        memcpy(val, walk->copy + (addr - walk->base), sizeof *val);
        return 0;
    }
    return tl__read_own_memory(addr, val, sizeof *val) ? 0 : -UNW_EINVAL;
}

/* Only the two registers /proc gives. Asking for any other one ends the walk: a guess would
 * make a stack that looks whole and is not. */
static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)as;
    struct parked_walk *walk = arg;
    if (write)
        return -UNW_EREADONLYREG;
    if (reg == UNW_X86_64_RIP) {
        *val = walk->pc;
        return 0;
    }
    if (reg == UNW_X86_64_RSP) {
        *val = walk->sp;
        return 0;
    }
    return -UNW_EBADREG;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                        void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG;
}

/* Identical stacks are the rule (a pool's workers): the register-state cache turns every frame
 * after the first thread's into a lookup. */
static bool make_space(void)
{
    remote.space = remote.create_addr_space(&remote.accessors, 0);
    return remote.space && remote.set_caching(remote.space, UNW_CACHE_GLOBAL) == 0;
}

static bool load_remote(void)
{
    void *lib = stack_capture_open_privately("libunwind-x86_64.so.8");
    if (!lib)
        return false;
    remote.create_addr_space = (create_addr_space_fn)dlsym(lib, "_Ux86_64_create_addr_space");
    remote.init_remote = (init_remote_fn)dlsym(lib, "_Ux86_64_init_remote");
    remote.step = (step_fn)dlsym(lib, "_Ux86_64_step");
    remote.get_reg = (get_reg_fn)dlsym(lib, "_Ux86_64_get_reg");
    get_accessors_fn get_accessors = (get_accessors_fn)dlsym(lib, "_Ux86_64_get_accessors");
    remote.set_caching = (set_caching_policy_fn)dlsym(lib, "_Ux86_64_set_caching_policy");
    unw_addr_space_t *local = dlsym(lib, "_Ux86_64_local_addr_space");
    if (!remote.create_addr_space || !remote.init_remote || !remote.step || !remote.get_reg ||
        !get_accessors || !remote.set_caching || !local || !*local)
        return false;
    remote.accessors = *get_accessors(*local);
    remote.accessors.access_mem = access_mem;
    remote.accessors.access_reg = access_reg;
    remote.accessors.access_fpreg = access_fpreg;
    remote.accessors.resume = NULL;
    return make_space();
}

static void load_once(void)
{
    stack_capture_loader_enter(); /* the fork machinery counts a load as a walk */
    remote.ready = load_remote();
    stack_capture_loader_leave();
}

bool parked_stack_available(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_once);
    return remote.ready;
}

static unsigned walk_frames(struct parked_walk *walk, void **frames, unsigned max, bool *partial)
{
    unw_cursor_t cursor;
    *partial = false;
    if (remote.init_remote(&cursor, remote.space, walk) < 0)
        return 0;
    unsigned n = 0;
    for (;;) {
        unw_word_t ip = 0;
        if (remote.get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        frames[n++] = (void *)(uintptr_t)ip;
        if (n == max)
            break;
        int step = remote.step(&cursor);
        if (step <= 0) {
            *partial = step < 0; /* 0 is the outermost frame; an error is a register we lack */
            break;
        }
    }
    return n;
}

bool parked_stack_unwind(uint64_t sp, uint64_t pc, void **frames, unsigned max,
                         struct parked_stack *out)
{
    static struct parked_walk walk; /* 32 KiB: the collector runs one walk at a time */
    out->nframes = 0;
    out->partial = false;
    /* In a forked child, not at all: libunwind's lookups here go through dl_iterate_phdr, whose
     * lock a thread of the parent may have left held (stack_capture_in_forked_image); nor is the
     * remote interface loaded there (a dlopen takes that lock too). The thread is then left
     * alone, without a current stack, as when the walk fails. */
    if (max == 0 || sp == 0 || pc == 0 || stack_capture_in_forked_image() ||
        !parked_stack_available())
        return false;
    walk.sp = sp;
    walk.pc = pc;
    copy_stack(&walk);
    if (walk.len == 0)
        return false;
    /* Under the same guard as every walk of ours: none under way at fork, none in a child whose
     * parent may have left the loader's lock held. */
    if (!stack_capture_walk_begin())
        return false;
    out->nframes = walk_frames(&walk, frames, max, &out->partial);
    stack_capture_walk_end();
    return true;
}

void parked_stack_fork_child(void)
{
    /* The parent's collector may have held the cache's lock: a fresh space has its own. The old
     * one is left, not destroyed: destroying takes that lock. */
    if (remote.ready && !make_space())
        remote.ready = false;
}

#else /* not x86_64: /proc's sp and pc are there, but no register numbering to hand them over */

bool parked_stack_available(void)
{
    return false;
}

bool parked_stack_unwind(uint64_t sp, uint64_t pc, void **frames, unsigned max,
                         struct parked_stack *out)
{
    (void)sp, (void)pc, (void)frames, (void)max;
    out->nframes = 0;
    out->partial = false;
    return false;
}

void parked_stack_fork_child(void)
{
}

#endif
