/* ordered_transfers: four tellers moving money between four accounts, always locking the account
 * with the lower number first.
 *
 * The fix of lock_order_inversion: transfer() orders its two locks by account number, so every
 * thread takes any two accounts in the same order, and the four threads contend for the accounts
 * all the time without ever deadlocking.
 *
 * Expected: clean, also with the lock module (many edges, all in one direction, no cycle). The
 * total printed is always the same.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ACCOUNTS  4
#define TELLERS   4
#define TRANSFERS 250

struct account {
    pthread_mutex_t lock;
    long balance;
};

static struct account accounts[ACCOUNTS];

static void transfer(unsigned from, unsigned to, long amount)
{
    unsigned first = from < to ? from : to;
    unsigned second = from < to ? to : from;
    pthread_mutex_lock(&accounts[first].lock); /* the lower number first, always */
    pthread_mutex_lock(&accounts[second].lock);
    accounts[from].balance -= amount;
    accounts[to].balance += amount;
    pthread_mutex_unlock(&accounts[second].lock);
    pthread_mutex_unlock(&accounts[first].lock);
}

static void *teller(void *arg)
{
    unsigned id = (unsigned)(unsigned long)arg;
    for (unsigned i = 0; i < TRANSFERS; i++) {
        unsigned from = (id + i) % ACCOUNTS;
        unsigned to = (id + 3 * i + 1) % ACCOUNTS;
        if (from != to)
            transfer(from, to, 1 + (long)(i % 7));
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < ACCOUNTS; i++) {
        pthread_mutex_init(&accounts[i].lock, NULL);
        accounts[i].balance = 1000;
    }
    pthread_t tellers[TELLERS];
    for (unsigned long i = 0; i < TELLERS; i++) {
        if (pthread_create(&tellers[i], NULL, teller, (void *)i) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    long total = 0;
    for (int i = 0; i < TELLERS; i++)
        pthread_join(tellers[i], NULL);
    for (int i = 0; i < ACCOUNTS; i++)
        total += accounts[i].balance;
    printf("ordered_transfers: total=%ld\n", total);
    return 0;
}
