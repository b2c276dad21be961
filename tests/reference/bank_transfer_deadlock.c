/* bank_transfer_deadlock: two transfers that lock the same two accounts in opposite orders, at
 * the same time.
 *
 * The bug is lock_order_inversion's, run concurrently: transfer() locks `from` then `to`. Here the
 * deadlock is certain, not just possible: both transfers take their first lock, meet at a barrier,
 * and only then lock the other account, which the other thread holds. Each waits for the other for
 * ever.
 *
 * Expected: a live deadlock. Without the lock module the program hangs. Under `threadleak run
 * --locks` (deadlock=abort): one lock_cycle of the two transfer threads (and the lock-order cycle
 * behind it), and the run exits 68. TSan: measured, see the manifest.
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

static pthread_barrier_t both_hold_one;

static void *run_transfer(void *arg)
{
    struct transfer *t = arg;
    pthread_mutex_lock(&t->from->lock);
    pthread_barrier_wait(&both_hold_one); /* the other transfer holds its `from` now */
    pthread_mutex_lock(&t->to->lock);     /* ... which is this one's `to`: waits for ever */
    t->from->balance -= t->amount;
    t->to->balance += t->amount;
    pthread_mutex_unlock(&t->to->lock);
    pthread_mutex_unlock(&t->from->lock);
    return NULL;
}

int main(void)
{
    static struct account alice = {"alice", PTHREAD_MUTEX_INITIALIZER, 100};
    static struct account bob = {"bob", PTHREAD_MUTEX_INITIALIZER, 100};
    struct transfer pay_bob = {.from = &alice, .to = &bob, .amount = 30};
    struct transfer refund_alice = {.from = &bob, .to = &alice, .amount = 10};
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_t a, b;
    if (pthread_create(&a, NULL, run_transfer, &pay_bob) != 0 ||
        pthread_create(&b, NULL, run_transfer, &refund_alice) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("bank_transfer_deadlock: %s=%ld %s=%ld\n", alice.owner, alice.balance, bob.owner,
           bob.balance);
    return 0;
}
