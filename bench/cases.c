/* The benchmark table (issue targets P1-P6). One entry per case; see cases.h for the fields and
 * bench/README.md for the output contract of a bench program. */
#include "cases.h"

#define SHIM          "LD_PRELOAD={shim}"
#define TSAN          "TSAN_OPTIONS=report_thread_leaks=0"
#define EMPTY_PRELOAD "LD_PRELOAD={bin}/libbench_empty_preload.so"
#define LOCKS         "LD_PRELOAD={locks}"
#define LOCK_FLOOR    "LD_PRELOAD={bin}/libbench_lock_floor.so"

/* P6 runs only once the HTTP endpoint exists: with it on, the shim must open a listening socket. */
static const struct bench_command endpoint_probe = {
    .argv = "{bin}/probe_endpoint",
    .env = SHIM " THREADLEAK_OPTIONS=http=127.0.0.1:0",
};

const struct bench_case bench_cases[] = {
    {
        .id = "P1",
        .what = "20,000 create+join pairs, 1 creator, creation 12 frames deep",
        .unit = "µs/pair",
        .base = {"native", "{bin}/create_join 20000 1", NULL, "us_per_pair"},
        .subjects =
            {
                {{"shim", "{bin}/create_join 20000 1", SHIM, "us_per_pair"}, JUDGE_RATIO, 1.15},
                {{"tsan-clang", "timeout -s KILL 60 {bin}/create_join_tsan_clang 20000 1", TSAN,
                  "us_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-gcc", "timeout -s KILL 60 {bin}/create_join_tsan_gcc 20000 1", TSAN,
                  "us_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"helgrind", "valgrind -q --tool=helgrind {bin}/create_join 2000 1", NULL,
                  "us_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"drd", "valgrind -q --tool=drd {bin}/create_join 2000 1", NULL, "us_per_pair"},
                 JUDGE_INFO,
                 0},
            },
    },
    {
        .id = "P1b-2",
        .what = "20,000 create+join pairs over 2 creator threads",
        .unit = "µs/pair",
        .min_runs = 11,
        .base = {"native", "{bin}/create_join 20000 2", NULL, "us_per_pair"},
        .subjects =
            {
                {{"shim", "{bin}/create_join 20000 2", SHIM, "us_per_pair"}, JUDGE_RATIO, 1.2},
            },
    },
    {
        .id = "P1b-N",
        .what = "20,000 create+join pairs over nproc creator threads",
        .unit = "µs/pair",
        .min_runs = 11,
        .base = {"native", "{bin}/create_join 20000 {nproc}", NULL, "us_per_pair"},
        .subjects =
            {
                {{"shim", "{bin}/create_join 20000 {nproc}", SHIM, "us_per_pair"},
                 JUDGE_RATIO,
                 1.2},
            },
    },
    {
        .id = "P2",
        .what = "process start-up: /bin/true, whole process",
        .unit = "ms",
        .min_runs = 51,
        .base = {"native", "/bin/true", NULL, NULL},
        .subjects =
            {
                {{"shim", "/bin/true", SHIM, NULL}, JUDGE_DELTA, 1.0},
                {{"empty", "/bin/true", EMPTY_PRELOAD, NULL}, JUDGE_INFO, 0},
            },
    },
    {
        /* The same start-up in instructions (callgrind Ir), which a busy machine cannot move:
         * the target is the shim within 1.3x native. Deterministic, so a few rounds. */
        .id = "P2-Ir",
        .what = "process start-up: /bin/true, instructions under callgrind",
        .unit = "Ir",
        .max_runs = 3,
        .base = {"native", "{bin}/startup_ir", NULL, "ir"},
        .subjects =
            {
                {{"shim", "{bin}/startup_ir {shim}", NULL, "ir"}, JUDGE_RATIO, 1.3},
                {{"empty", "{bin}/startup_ir {bin}/libbench_empty_preload.so", NULL, "ir"},
                 JUDGE_INFO,
                 0},
            },
    },
    {
        .id = "P3",
        .what = "clean verify-none with 1,000 ignored live threads (goleak.Find: goroutines)",
        .unit = "ms",
        .base = {"goleak", "{bin}/goleak_find 1000", NULL, "find_ms"},
        .subjects =
            {
                {{"tl_verify_none", "{bin}/verify_none_bench 1000", NULL, "verify_none_ms"},
                 JUDGE_ABSOLUTE,
                 0.1},
            },
    },
    {
        .id = "P4-1k",
        .what = "full debug=2 dump of 1,000 blocked threads (Go: goroutines)",
        .unit = "ms",
        .base = {"go", "{bin}/go_dump 1000", NULL, "dump_ms"},
        .subjects =
            {
                {{"threadleak", "{bin}/dump_bench 1000", SHIM, "dump_ms"}, JUDGE_RATIO, 5.0},
                /* what any invisible dump pays before its first frame: two /proc files and a
                 * bare signal round trip per thread (dump_floor.c) */
                {{"floor", "{bin}/dump_floor 1000", NULL, "floor_ms"}, JUDGE_INFO, 0},
            },
    },
    {
        .id = "P4-10k",
        .what = "full debug=2 dump of 10,000 blocked threads (Go: goroutines)",
        .unit = "ms",
        .max_runs = 3, /* ≈ 18 s a run: 10,000 threads, 17 dumps and dump_bench's memory loop */
        .base = {"go", "{bin}/go_dump 10000", NULL, "dump_ms"},
        .subjects =
            {
                {{"threadleak", "{bin}/dump_bench 10000", SHIM, "dump_ms"}, JUDGE_RATIO, 5.0},
                {{"floor", "{bin}/dump_floor 10000 5", NULL, "floor_ms"}, JUDGE_INFO, 0},
            },
    },
    {
        .id = "P5",
        .what = "resident memory per live tracked thread, 1,000 blocked threads",
        .unit = "KiB/thread",
        .base = {"native", "{bin}/rss_threads 1000", NULL, "rss_kib_per_thread"},
        .subjects =
            {
                {{"shim", "{bin}/rss_threads 1000", SHIM, "rss_kib_per_thread"}, JUDGE_DELTA, 1.0},
            },
    },
    {
        .id = "P6",
        .what = "P1 with the HTTP endpoint on but idle, against P1 under the shim",
        .unit = "µs/pair",
        .min_runs = 15, /* a 2% target needs a steadier median than 7 runs give */
        .probe = &endpoint_probe,
        .base = {"shim", "{bin}/create_join 20000 1", SHIM, "us_per_pair"},
        .subjects =
            {
                {{"shim+http", "{bin}/create_join 20000 1",
                  SHIM " THREADLEAK_OPTIONS=http=127.0.0.1:0", "us_per_pair"},
                 JUDGE_RATIO,
                 1.02},
            },
    },
    {
        .id = "L1",
        .what = "uncontended lock+unlock of one mutex, nothing else held (lock_bench)",
        .unit = "ns/pair",
        .min_runs = 15,
        .base = {"native", "{bin}/lock_bench nothing_held 20000000", NULL, "ns_per_pair"},
        .subjects =
            {
                {{"shim", "{bin}/lock_bench nothing_held 20000000", SHIM, "ns_per_pair"},
                 JUDGE_RATIO,
                 1.05},
                {{"locks", "{bin}/lock_bench nothing_held 20000000", LOCKS, "ns_per_pair"},
                 JUDGE_RATIO,
                 1.3},
                /* any lock wrapper's cost before it checks anything (lock_floor.c) */
                {{"floor", "{bin}/lock_bench nothing_held 20000000", LOCK_FLOOR, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-clang",
                  "timeout -s KILL 60 {bin}/lock_bench_tsan_clang nothing_held 2000000", TSAN,
                  "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-gcc", "timeout -s KILL 60 {bin}/lock_bench_tsan_gcc nothing_held 2000000",
                  TSAN, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"helgrind", "valgrind -q --tool=helgrind {bin}/lock_bench nothing_held 20000",
                  NULL, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"drd", "valgrind -q --tool=drd {bin}/lock_bench nothing_held 20000", NULL,
                  "ns_per_pair"},
                 JUDGE_INFO,
                 0},
            },
    },
    {
        .id = "L2",
        .what = "L1 while holding another mutex: one edge lookup per lock",
        .unit = "ns/pair",
        .min_runs = 15,
        .base = {"native", "{bin}/lock_bench one_held 20000000", NULL, "ns_per_pair"},
        .subjects =
            {
                {{"locks", "{bin}/lock_bench one_held 20000000", LOCKS, "ns_per_pair"},
                 JUDGE_RATIO,
                 1.6},
                /* any lock wrapper's cost before it checks anything (lock_floor.c) */
                {{"floor", "{bin}/lock_bench one_held 20000000", LOCK_FLOOR, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-clang", "timeout -s KILL 60 {bin}/lock_bench_tsan_clang one_held 2000000",
                  TSAN, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-gcc", "timeout -s KILL 60 {bin}/lock_bench_tsan_gcc one_held 2000000", TSAN,
                  "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"helgrind", "valgrind -q --tool=helgrind {bin}/lock_bench one_held 20000", NULL,
                  "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"drd", "valgrind -q --tool=drd {bin}/lock_bench one_held 20000", NULL,
                  "ns_per_pair"},
                 JUDGE_INFO,
                 0},
            },
    },
    {
        .id = "L3",
        .what = "one mutex contended by 4 threads, 8,000,000 lock+unlock in all",
        .unit = "ns/pair",
        .base = {"native", "{bin}/lock_bench contended 8000000 4", NULL, "ns_per_pair"},
        .subjects =
            {
                {{"locks", "{bin}/lock_bench contended 8000000 4", LOCKS, "ns_per_pair"},
                 JUDGE_RATIO,
                 1.1},
                /* any lock wrapper's cost before it checks anything (lock_floor.c) */
                {{"floor", "{bin}/lock_bench contended 8000000 4", LOCK_FLOOR, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-clang", "timeout -s KILL 60 {bin}/lock_bench_tsan_clang contended 800000 4",
                  TSAN, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
                {{"tsan-gcc", "timeout -s KILL 60 {bin}/lock_bench_tsan_gcc contended 800000 4",
                  TSAN, "ns_per_pair"},
                 JUDGE_INFO,
                 0},
            },
    },
    {
        .id = "L4",
        .what = "P1 (20,000 create+join pairs) under the lock module",
        .unit = "µs/pair",
        .base = {"shim", "{bin}/create_join 20000 1", SHIM, "us_per_pair"},
        .subjects =
            {
                {{"locks", "{bin}/create_join 20000 1", LOCKS, "us_per_pair"}, JUDGE_RATIO, 1.05},
            },
    },
    {
        .id = "L5",
        .what = "resident memory per tracked mutex, 1,000,000 mutexes each taken once",
        .unit = "B/lock",
        .max_runs = 3,
        .base = {"native", "{bin}/lock_bench distinct 1000000", NULL, "bytes_per_lock"},
        .subjects =
            {
                {{"locks", "{bin}/lock_bench distinct 1000000", LOCKS, "bytes_per_lock"},
                 JUDGE_DELTA,
                 64},
            },
    },
};

const size_t bench_case_count = sizeof bench_cases / sizeof bench_cases[0];
