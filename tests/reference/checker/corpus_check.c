/* corpus_check: runs the reference corpus (tests/reference) through threadleak and
 * ThreadSanitizer and compares both with the manifests. See docs/reference-corpus.md, "Checks".
 *
 *   corpus_check --cli PATH --manifests DIR --binaries DIR --check KIND
 *                [--variants clang-tsan,gcc-tsan,clang-asan,gcc-asan] [--linger-ms N] [--timeout S]
 *                [--hang-timeout S] [PROGRAM...]
 *
 * KIND is manifest, tsan, coexist, gate, suppressions, asan, locks or all. The TSan checks use the
 * variants ending in -tsan, the asan check those ending in -asan. Prints one line per program,
 * `PASS NAME` or `FAIL NAME: REASONS`, then exactly `N passed, N failed`. Exit status 0 when
 * nothing failed, 1 when something did, 2 for a usage error. */
#include "corpus.h"

#include <dirent.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROGRAMS 256
#define MAX_VARIANTS 8

enum check_kind {
    CHECK_MANIFEST,
    CHECK_TSAN,
    CHECK_COEXIST,
    CHECK_GATE,
    CHECK_SUPPRESS,
    CHECK_ASAN,
    CHECK_LOCKS,
    CHECK_ALL
};

static const char *const check_names[] = {"manifest",     "tsan", "coexist", "gate",
                                          "suppressions", "asan", "locks",   "all"};

struct config {
    struct checker c;
    enum check_kind kind;
    const char *variants[MAX_VARIANTS + 1];      /* the TSan ones */
    const char *asan_variants[MAX_VARIANTS + 1]; /* the ones ending in -asan */
    char variant_text[256];
    char *programs[MAX_PROGRAMS];
    size_t nprograms;
};

static int usage(const char *msg)
{
    fprintf(stderr,
            "corpus_check: %s\nusage: corpus_check --cli PATH --manifests DIR --binaries DIR "
            "--check manifest|tsan|coexist|gate|suppressions|asan|locks|all [--variants A,B] "
            "[--linger-ms N] [--timeout S] [--hang-timeout S] [PROGRAM...]\n",
            msg);
    return 2;
}

static void split_variants(struct config *cfg, const char *text)
{
    snprintf(cfg->variant_text, sizeof cfg->variant_text, "%s", text);
    size_t n = 0, na = 0;
    for (char *save = NULL, *v = strtok_r(cfg->variant_text, ",", &save); v && n < MAX_VARIANTS;
         v = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(v);
        if (len > 5 && strcmp(v + len - 5, "-asan") == 0)
            cfg->asan_variants[na++] = v;
        else
            cfg->variants[n++] = v;
    }
    cfg->variants[n] = NULL;
    cfg->asan_variants[na] = NULL;
}

static bool parse_kind(const char *text, enum check_kind *kind)
{
    for (int k = 0; k <= CHECK_ALL; k++) {
        if (strcmp(text, check_names[k]) == 0) {
            *kind = (enum check_kind)k;
            return true;
        }
    }
    return false;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"cli", required_argument, NULL, 'c'},
        {"manifests", required_argument, NULL, 'm'},
        {"binaries", required_argument, NULL, 'b'},
        {"check", required_argument, NULL, 'k'},
        {"variants", required_argument, NULL, 'v'},
        {"linger-ms", required_argument, NULL, 'l'},
        {"timeout", required_argument, NULL, 't'},
        {"hang-timeout", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    cfg->c.linger_ms = 200;
    cfg->c.timeout_s = 60;
    cfg->c.hang_timeout_s = 4;
    cfg->kind = CHECK_ALL;
    split_variants(cfg, "clang-tsan,gcc-tsan,clang-asan,gcc-asan");
    for (int opt; (opt = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (opt == 'c')
            cfg->c.cli = optarg;
        else if (opt == 'm')
            cfg->c.manifests = optarg;
        else if (opt == 'b')
            cfg->c.binaries = optarg;
        else if (opt == 'k' && !parse_kind(optarg, &cfg->kind))
            return usage("unknown --check");
        else if (opt == 'v')
            split_variants(cfg, optarg);
        else if (opt == 'l')
            cfg->c.linger_ms = (unsigned)atoi(optarg);
        else if (opt == 't')
            cfg->c.timeout_s = atof(optarg);
        else if (opt == 'H')
            cfg->c.hang_timeout_s = atof(optarg);
        else if (opt == '?')
            return usage("unknown option");
    }
    if (!cfg->c.cli || !cfg->c.manifests || !cfg->c.binaries)
        return usage("--cli, --manifests and --binaries are required");
    for (int i = optind; i < argc && cfg->nprograms < MAX_PROGRAMS; i++)
        cfg->programs[cfg->nprograms++] = strdup(argv[i]);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME of DIR/NAME.expect.json, sorted. */
static int list_programs(struct config *cfg)
{
    DIR *d = opendir(cfg->c.manifests);
    if (!d)
        return -1;
    static const char suffix[] = ".expect.json";
    for (struct dirent *e; (e = readdir(d)) && cfg->nprograms < MAX_PROGRAMS;) {
        size_t len = strlen(e->d_name);
        if (len > sizeof suffix - 1 && strcmp(e->d_name + len - (sizeof suffix - 1), suffix) == 0)
            cfg->programs[cfg->nprograms++] = strndup(e->d_name, len - (sizeof suffix - 1));
    }
    closedir(d);
    qsort(cfg->programs, cfg->nprograms, sizeof *cfg->programs, by_name);
    return 0;
}

/* Runs one check kind on a program; false when it does not apply. Reasons get a "[kind] " prefix
 * under --check all. */
static bool run_one(const struct config *cfg, enum check_kind kind, const struct manifest *m,
                    struct outcome *o)
{
    switch (kind) {
    case CHECK_MANIFEST:
        return check_manifest(&cfg->c, m, o);
    case CHECK_TSAN:
        check_tsan_agreement(&cfg->c, m, cfg->variants, o);
        return true;
    case CHECK_COEXIST: {
        bool applies = false;
        for (const char *const *v = cfg->variants; *v; v++)
            applies |= check_coexistence(&cfg->c, m, *v, o);
        return applies;
    }
    case CHECK_GATE:
        return check_gate(&cfg->c, m, cfg->variants, o);
    case CHECK_SUPPRESS:
        return check_suppressions(&cfg->c, m, cfg->variants, o);
    case CHECK_ASAN: {
        bool applies = false;
        for (const char *const *v = cfg->asan_variants; *v; v++)
            applies |= check_asan(&cfg->c, m, *v, o);
        return applies;
    }
    case CHECK_LOCKS:
        check_locks(&cfg->c, m, o);
        return true;
    case CHECK_ALL:
        break;
    }
    return false;
}

static bool check_program(const struct config *cfg, const char *name, struct outcome *o)
{
    struct manifest *m = calloc(1, sizeof *m);
    char err[600];
    bool applies = true;
    if (manifest_load(cfg->c.manifests, name, m, err, sizeof err) != 0) {
        fail(o, "%s", err);
    } else if (cfg->kind != CHECK_ALL) {
        applies = run_one(cfg, cfg->kind, m, o);
    } else {
        applies = false;
        for (int k = 0; k < CHECK_ALL; k++) {
            struct outcome *part = calloc(1, sizeof *part);
            if (run_one(cfg, (enum check_kind)k, m, part))
                applies = true;
            if (part->failed)
                fail(o, "[%s] %s", check_names[k], part->reasons);
            free(part);
        }
    }
    free(m);
    return applies;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static struct config cfg;
    int rc = parse_args(argc, argv, &cfg);
    if (rc != 0)
        return rc;
    if (cfg.nprograms == 0 && list_programs(&cfg) != 0)
        return usage("cannot read the --manifests directory");
    const char *tmp = getenv("TMPDIR");
    char work[4096];
    snprintf(work, sizeof work, "%s/corpus_check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(work))
        return usage("cannot make a scratch directory");
    cfg.c.work = work;
    unsigned passed = 0, failed = 0;
    double start = now_s();
    for (size_t i = 0; i < cfg.nprograms; i++) {
        struct outcome *o = calloc(1, sizeof *o);
        double t0 = now_s();
        if (check_program(&cfg, cfg.programs[i], o)) {
            if (o->failed)
                printf("FAIL %s: %s\n", cfg.programs[i], o->reasons);
            else
                printf("PASS %s\n", cfg.programs[i]);
            fflush(stdout);
            fprintf(stderr, "# %s: %.1f s\n", cfg.programs[i], now_s() - t0);
            o->failed ? failed++ : passed++;
        }
        free(o);
        free(cfg.programs[i]);
    }
    nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    fprintf(stderr, "# check %s: %.1f s\n", check_names[cfg.kind], now_s() - start);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
