/* c11_mtx_inversion: lock_order_inversion with C11 mtx_t locks.
 *
 * The bug is lock_order_inversion's: transfer() locks `from` then `to`, so A -> B in one thread
 * and B -> A in another can deadlock; the second transfer starts after the first thread is joined,
 * so this run finishes. The accounts' locks are C11 `mtx_t`. glibc's mtx_lock calls its internal
 * pthread mutex functions directly, not through the PLT, so a tool that watches only the
 * pthread_mutex_* names never sees these locks.
 *
 * The threads are pthreads, not thrd_create: TSan crashes in threads made with thrd_create (see
 * c11_threads_leak), which would hide what this program is about, the locks.
 *
 * Expected: clean for the leak check. With the lock module: one lock-order cycle of two mtx_t.
 * TSan (clang and gcc): no lock-order-inversion report -- it misses the C11 locks.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

struct account {
    const char *owner;
    mtx_t lock;
    long balance;
};

struct transfer {
    struct account *from;
    struct account *to;
    long amount;
};

static void *run_transfer(void *arg)
{
    struct transfer *t = arg;
    mtx_lock(&t->from->lock);
    mtx_lock(&t->to->lock);
    t->from->balance -= t->amount;
    t->to->balance += t->amount;
    mtx_unlock(&t->to->lock);
    mtx_unlock(&t->from->lock);
    return NULL;
}

static void transfer_in_thread(struct transfer *t)
{
    pthread_t worker;
    if (pthread_create(&worker, NULL, run_transfer, t) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_join(worker, NULL);
}

int main(void)
{
    static struct account alice = {.owner = "alice", .balance = 100};
    static struct account bob = {.owner = "bob", .balance = 100};
    if (mtx_init(&alice.lock, mtx_plain) != thrd_success ||
        mtx_init(&bob.lock, mtx_plain) != thrd_success)
        return 1;
    struct transfer pay_bob = {.from = &alice, .to = &bob, .amount = 30};
    struct transfer refund_alice = {.from = &bob, .to = &alice, .amount = 10};
    transfer_in_thread(&pay_bob);
    transfer_in_thread(&refund_alice);
    printf("c11_mtx_inversion: %s=%ld %s=%ld\n", alice.owner, alice.balance, bob.owner,
           bob.balance);
    mtx_destroy(&bob.lock);
    mtx_destroy(&alice.lock);
    return 0;
}
