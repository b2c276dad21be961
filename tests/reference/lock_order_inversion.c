/* lock_order_inversion: two transfers that lock the same two accounts in opposite orders.
 *
 * The bug: transfer() locks `from` then `to`. One thread moves money A -> B (locks A, then B),
 * another B -> A (locks B, then A). Run together they can deadlock; here the second transfer only
 * starts after the first thread is joined, so the program always finishes -- but the lock-order
 * graph has a cycle, which is what TSan's deadlock detector looks for.
 *
 * Expected: clean for threadleak (both threads joined). TSan: one lock-order-inversion
 * (potential deadlock) report (clang and gcc).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
    const char *owner;
    pthread_mutex_t lock;
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
    pthread_mutex_lock(&t->from->lock); /* should lock in a global order, e.g. by address */
    pthread_mutex_lock(&t->to->lock);
    t->from->balance -= t->amount;
    t->to->balance += t->amount;
    pthread_mutex_unlock(&t->to->lock);
    pthread_mutex_unlock(&t->from->lock);
    return NULL;
}

static void transfer_in_thread(struct transfer *t)
{
    pthread_t worker;
    if (pthread_create(&worker, NULL, run_transfer, t) != 0) {
        perror("pthread_create");
        exit(1);
    }
    pthread_join(worker, NULL); /* sequential, so the inversion never actually deadlocks */
}

int main(void)
{
    static struct account alice = {"alice", PTHREAD_MUTEX_INITIALIZER, 100};
    static struct account bob = {"bob", PTHREAD_MUTEX_INITIALIZER, 100};
    struct transfer pay_bob = {.from = &alice, .to = &bob, .amount = 30};
    struct transfer refund_alice = {.from = &bob, .to = &alice, .amount = 10};
    transfer_in_thread(&pay_bob);
    transfer_in_thread(&refund_alice);
    printf("lock_order_inversion: %s=%ld %s=%ld\n", alice.owner, alice.balance, bob.owner,
           bob.balance);
    return 0;
}
