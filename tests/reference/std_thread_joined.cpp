// std_thread_joined: parallel sum over a vector with std::thread, every thread joined.
//
// No bug: parallel_sum starts one std::thread per chunk and joins them all before reading the
// partial sums.
//
// Expected: clean. TSan: nothing.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <thread>
#include <vector>

static long parallel_sum(const std::vector<int> &values, unsigned parts)
{
    std::vector<long> partial(parts, 0);
    std::vector<std::thread> threads;
    size_t chunk = (values.size() + parts - 1) / parts;
    for (unsigned p = 0; p < parts; p++) {
        threads.emplace_back([&, p] {
            size_t begin = p * chunk;
            size_t end = std::min(values.size(), begin + chunk);
            for (size_t i = begin; i < end; i++)
                partial[p] += values[i];
        });
    }
    for (auto &t : threads)
        t.join();
    return std::accumulate(partial.begin(), partial.end(), 0L);
}

int main()
{
    std::vector<int> values(10000);
    std::iota(values.begin(), values.end(), 1);
    std::printf("std_thread_joined: sum = %ld\n", parallel_sum(values, 4));
    return 0;
}
