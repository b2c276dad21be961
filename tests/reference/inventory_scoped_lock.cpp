// inventory_scoped_lock: two warehouses moving stock to each other with std::scoped_lock, and a
// std::mutex for the totals.
//
// move_stock() locks the source and the destination with one std::scoped_lock. The two movers
// name the warehouses in opposite orders, at the same time, 200 times each: std::scoped_lock (via
// std::lock) locks the first and only *tries* the others, backing off and starting from the busy
// one, so opposite orders cannot deadlock. Under both warehouse locks it takes the totals'
// std::mutex with a std::lock_guard: always last, one order.
//
// Expected: clean, also with the lock module (std::mutex reaches pthread_mutex_* through the PLT;
// std::lock's try_lock adds no order edge).
#include <cstdio>
#include <mutex>
#include <thread>

namespace
{

struct Warehouse {
    std::mutex m;
    long stock = 1000;
};

struct Totals {
    std::mutex m;
    long moves = 0;
};

Warehouse north, south;
Totals totals;

void move_stock(Warehouse &from, Warehouse &to, long amount)
{
    std::scoped_lock both(from.m, to.m); // opposite orders in the two movers: std::lock copes
    from.stock -= amount;
    to.stock += amount;
    std::lock_guard<std::mutex> t(totals.m); // always last
    totals.moves++;
}

void mover(Warehouse &from, Warehouse &to)
{
    for (int i = 0; i < 200; i++)
        move_stock(from, to, 1 + i % 3);
}

} // namespace

int main()
{
    std::thread a(mover, std::ref(north), std::ref(south));
    std::thread b(mover, std::ref(south), std::ref(north));
    a.join();
    b.join();
    std::printf("inventory_scoped_lock: total=%ld moves=%ld\n", north.stock + south.stock,
                totals.moves);
    return 0;
}
