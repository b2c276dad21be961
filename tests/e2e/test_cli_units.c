/* The CLI's pure pieces: LD_PRELOAD and THREADLEAK_OPTIONS composition (checked against the real
 * options parser), ELF inspection, PATH resolution and report file names. */
#include "dump_request.h"
#include "elf_reader.h"
#include "options.h"
#include "preload_env.h"
#include "prog_resolve.h"
#include "report_dir.h"
#include "shim_locate.h"
#include "test_cli_helpers.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *static_prog_path; /* "" when not built */
static const char *tsan_prog_path;   /* "" when not built */

static void expect_preload(const char *shim, const char *tsan, const char *user, const char *want)
{
    char err[256] = "";
    char *got = preload_compose(shim, tsan, user, err, sizeof err);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_preload_composition(void **state)
{
    (void)state;
    expect_preload("/l/shim.so", NULL, NULL, "/l/shim.so");
    expect_preload("/l/shim.so", "", "", "/l/shim.so");
    expect_preload("/l/shim.so", NULL, "a.so b.so:c.so", "/l/shim.so:a.so:b.so:c.so");
    expect_preload("/l/shim.so", NULL, " ::a.so:: ", "/l/shim.so:a.so");
    expect_preload("/l/shim.so", "libtsan.so.2", "a.so", "libtsan.so.2:/l/shim.so:a.so");
    /* Exact repeats of what is prepended are dropped; anything else is kept in order. */
    expect_preload("/l/shim.so", "libtsan.so.2", "libtsan.so.2 /l/shim.so /l/shim.so.1",
                   "libtsan.so.2:/l/shim.so:/l/shim.so.1");
}

/* Issue 16, item 4: ASan and HWASan abort unless they come first in the initial library list, so
 * every sanitizer runtime, the program's own and the user's, goes before the shim. */
static void test_preload_puts_sanitizer_runtimes_first(void **state)
{
    (void)state;
    expect_preload("/l/shim.so", "libasan.so.8", NULL, "libasan.so.8:/l/shim.so");
    expect_preload("/l/shim.so", "libasan.so.8:libubsan.so.1", "a.so",
                   "libasan.so.8:libubsan.so.1:/l/shim.so:a.so");
    expect_preload("/l/shim.so", "libhwasan.so.0", "a.so", "libhwasan.so.0:/l/shim.so:a.so");
    /* The user's sanitizer entries keep their place before the shim, other entries theirs after. */
    expect_preload("/l/shim.so", NULL, "a.so /usr/lib/libasan.so.8:b.so",
                   "/usr/lib/libasan.so.8:/l/shim.so:a.so:b.so");
    expect_preload("/l/shim.so", NULL, "/x/libtsan.so.2 /x/libubsan.so /x/liblsan.so.0 c.so",
                   "/x/libtsan.so.2:/x/libubsan.so:/x/liblsan.so.0:/l/shim.so:c.so");
    /* The user names the program's runtime by path: the user's build of it wins, named once. */
    expect_preload("/l/shim.so", "libasan.so.8:libubsan.so.1", "/opt/gcc/lib/libasan.so.8",
                   "/opt/gcc/lib/libasan.so.8:libubsan.so.1:/l/shim.so");
    /* Only the file name counts: a directory named like a runtime does not make one. */
    expect_preload("/l/shim.so", NULL, "/libasan.so/x.so", "/l/shim.so:/libasan.so/x.so");
    expect_preload("/l/shim.so", NULL, "mylibasan.so", "/l/shim.so:mylibasan.so");
}

static void test_preload_refuses_unsplittable_shim_path(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(preload_compose("/my dir/shim.so", NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "/my dir/shim.so"));
    assert_null(preload_compose("/a:b/shim.so", NULL, NULL, err, sizeof err));
}

/* What the shim would make of the composed text: the real parser decides. */
static void parse_composed(const char *user, const struct tl__options_request *req,
                           struct tl__config *cfg)
{
    char err[512] = "";
    char *text = options_compose(user, req, err, sizeof err);
    assert_non_null(text);
    options_defaults(cfg);
    if (options_parse(text, cfg, err, sizeof err) != 0)
        fail_msg("'%s' does not parse: %s", text, err);
    free(text);
}

static void test_options_composition_overrides_the_user(void **state)
{
    (void)state;
    static struct tl__config cfg;
    struct tl__options_request req = {.report_dir = "/tmp/threadleak.x", .linger_ms = -1};
    parse_composed("exitcode=3:quiet=0:verbosity=2:color=always", &req, &cfg);
    assert_string_equal(cfg.report_dir, "/tmp/threadleak.x");
    assert_int_equal(cfg.exitcode, 0);
    assert_true(cfg.quiet);
    assert_int_equal(cfg.color, TL_COLOR_NEVER);
    assert_int_equal(cfg.verbosity, 2); /* the user's own keys stay */

    req = (struct tl__options_request){
        .report_dir = "/tmp/d", .color = true, .linger_ms = 1234, .mode = "tsan"};
    parse_composed(NULL, &req, &cfg);
    assert_int_equal(cfg.color, TL_COLOR_ALWAYS);
    assert_int_equal(cfg.linger_ms, 1234);
    assert_int_equal(cfg.mode, TL_MODE_TSAN);
    assert_string_equal(cfg.label, "");
}

/* --label reaches every process as label=, quoted; one with both quotes only through its
 * directory (run_label.h), never as a broken option. */
static void test_options_carry_the_label(void **state)
{
    (void)state;
    static struct tl__config cfg;
    const char *labels[] = {"shard-1", "unit: 2", "it's", "say \"hi\""};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        struct tl__options_request req = {
            .report_dir = "/tmp/d", .linger_ms = -1, .label = labels[i]};
        parse_composed("label=user", &req, &cfg);
        assert_string_equal(cfg.label, labels[i]);
    }
    struct tl__options_request both = {.report_dir = "/tmp/d", .linger_ms = -1, .label = "'\""};
    parse_composed(NULL, &both, &cfg);
    assert_string_equal(cfg.label, "");
}

static void test_options_carry_suppressions_and_verbosity(void **state)
{
    (void)state;
    static struct tl__config cfg;
    struct tl__options_request req = {.report_dir = "/tmp/d",
                                      .linger_ms = -1,
                                      .suppressions = "/tmp/a:b/it's.supp",
                                      .verbosity = "3"};
    parse_composed("verbosity=1:suppressions=/other", &req, &cfg);
    assert_string_equal(cfg.suppressions, "/tmp/a:b/it's.supp");
    assert_int_equal(cfg.verbosity, 3);
    char err[256] = "";
    req.suppressions = "/tmp/'\"";
    assert_null(options_compose(NULL, &req, err, sizeof err));
    assert_non_null(strstr(err, "suppressions"));
}

static void test_options_quote_awkward_directories(void **state)
{
    (void)state;
    static struct tl__config cfg;
    const char *dirs[] = {"/tmp/a:b", "/tmp/it's", "/tmp/say \"hi\":x", "/tmp/=:="};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct tl__options_request req = {.report_dir = dirs[i], .linger_ms = -1};
        parse_composed("", &req, &cfg);
        assert_string_equal(cfg.report_dir, dirs[i]);
    }
    char err[256] = "";
    struct tl__options_request both = {.report_dir = "/tmp/'\"", .linger_ms = -1};
    assert_null(options_compose(NULL, &both, err, sizeof err));
    assert_non_null(strstr(err, "/tmp/'\""));
}

static void test_elf_inspect_dynamic(void **state)
{
    (void)state;
    struct tl__elf_info info;
    assert_int_equal(elf_inspect_file("/bin/sh", &info), 0);
    assert_int_equal(info.kind, TL_ELF_DYNAMIC);
    assert_int_equal(info.elf_class, sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32);
    assert_string_equal(info.tsan_needed, "");
}

static void test_elf_inspect_static(void **state)
{
    (void)state;
    if (!static_prog_path[0]) {
        print_message("libc.a is missing: skipped\n");
        skip();
    }
    struct tl__elf_info info;
    assert_int_equal(elf_inspect_file(static_prog_path, &info), 0);
    assert_int_equal(info.kind, TL_ELF_STATIC);
}

static void test_elf_inspect_finds_libtsan(void **state)
{
    (void)state;
    if (!tsan_prog_path[0]) {
        print_message("gcc -fsanitize=thread unavailable: skipped\n");
        skip();
    }
    struct tl__elf_info info;
    assert_int_equal(elf_inspect_file(tsan_prog_path, &info), 0);
    assert_int_equal(info.kind, TL_ELF_DYNAMIC);
    assert_true(strncmp(info.tsan_needed, "libtsan.so.", 11) == 0);
    /* The same runtime is the one sanitizer the CLI preloads first. */
    assert_string_equal(info.sanitizers_needed, info.tsan_needed);
}

static void test_elf_inspect_rejects_junk(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[4300];
    snprintf(path, sizeof path, "%s/junk", dir);
    struct tl__elf_info info;
    write_text_file(path, "#!/bin/sh\n", 0755);
    assert_int_equal(elf_inspect_file(path, &info), 0);
    assert_int_equal(info.kind, TL_ELF_NOT_ELF);
    write_text_file(path,
                    "\x7f"
                    "ELF",
                    0755); /* magic and nothing more */
    assert_int_equal(elf_inspect_file(path, &info), 0);
    assert_int_equal(info.kind, TL_ELF_MALFORMED);
    write_text_file(path, "", 0755);
    assert_int_equal(elf_inspect_file(path, &info), 0);
    assert_int_equal(info.kind, TL_ELF_NOT_ELF);
    errno = 0;
    assert_int_equal(elf_inspect_file("/nonexistent/x", &info), -1);
    assert_int_equal(errno, ENOENT);
    remove_tree(dir);
    free(dir);
}

/* Every prefix of a real executable: never a crash, never "dynamic" without its headers. */
static void test_elf_inspect_every_truncation(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char path[4300];
    snprintf(path, sizeof path, "%s/cut", dir);
    FILE *in = fopen("/bin/sh", "rb");
    assert_non_null(in);
    unsigned char head[1024];
    size_t n = fread(head, 1, sizeof head, in);
    fclose(in);
    for (size_t len = 0; len <= n; len += 7) {
        FILE *out = fopen(path, "wb");
        fwrite(head, 1, len, out);
        fclose(out);
        struct tl__elf_info info;
        assert_int_equal(elf_inspect_file(path, &info), 0);
        if (len < 64)
            assert_true(info.kind == TL_ELF_NOT_ELF || info.kind == TL_ELF_MALFORMED);
    }
    remove_tree(dir);
    free(dir);
}

static void test_prog_resolve_follows_path(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char first[4300], second[4300], path[9000], out[4300];
    snprintf(first, sizeof first, "%s/a", dir);
    snprintf(second, sizeof second, "%s/b", dir);
    mkdir(first, 0755);
    mkdir(second, 0755);
    snprintf(path, sizeof path, "%s/tool", first);
    write_text_file(path, "x", 0644); /* not executable: skipped, as execvp does */
    snprintf(path, sizeof path, "%s/tool", second);
    write_text_file(path, "x", 0755);
    snprintf(path, sizeof path, "PATH=%s::%s", first, second);
    char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", path + 5, 1);
    assert_int_equal(prog_resolve("tool", out, sizeof out), 0);
    snprintf(path, sizeof path, "%s/tool", second);
    assert_string_equal(out, path);
    assert_int_equal(prog_resolve("no-such-tool", out, sizeof out), ENOENT);
    snprintf(path, sizeof path, "%s/tool", second);
    chmod(path, 0644);
    assert_int_equal(prog_resolve("tool", out, sizeof out), EACCES);
    assert_int_equal(prog_resolve("./with/slash", out, sizeof out), 0);
    assert_string_equal(out, "./with/slash");
    assert_int_equal(prog_resolve("", out, sizeof out), ENOENT);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
    remove_tree(dir);
    free(dir);
}

static void test_report_file_names(void **state)
{
    (void)state;
    pid_t pid = 0;
    assert_true(report_file_pid("threadleak.123.json", "json", &pid));
    assert_int_equal(pid, 123);
    assert_true(report_file_pid("threadleak.9.txt", "txt", &pid));
    assert_false(report_file_pid("threadleak.9.txt", "json", &pid));
    assert_false(report_file_pid("threadleak..json", "json", &pid));
    assert_false(report_file_pid("threadleak.0.json", "json", &pid));
    assert_false(report_file_pid("threadleak.12a.json", "json", &pid));
    assert_false(report_file_pid("threadleak.12.json.tmp", "json", &pid));
    assert_false(report_file_pid("threadleak.99999999999.json", "json", &pid));
    assert_false(report_file_pid("xthreadleak.1.json", "json", &pid));
}

static void test_shim_candidates_beside_the_exe(void **state)
{
    (void)state;
    char out[2][4096];
    size_t n = shim_candidates("/opt/tl/bin/threadleak", out, 2);
    assert_true(n >= 1);
    bool build_tree = false;
    for (size_t i = 0; i < n; i++)
        build_tree |= strcmp(out[i], "/opt/tl/bin/../lib/libthreadleak.so") == 0;
    assert_true(build_tree);
}

/* The shim applies every good option and skips a bad one, so `threadleak dump` must find the
 * report_dir of a process whose THREADLEAK_OPTIONS also holds a typo. */
static void test_dump_finds_report_dir_beside_a_typo(void **state)
{
    (void)state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char *argv[] = {"sleep", "30", NULL};
        char *envp[] = {"THREADLEAK_OPTIONS=bogus_key=1:report_dir=/tmp/tl-dir:exitcode=zero",
                        NULL};
        close(ready[0]);
        fcntl(ready[1], F_SETFD, FD_CLOEXEC); /* closes at exec: the environ is in place */
        execve("/bin/sleep", argv, envp);
        _exit(127);
    }
    close(ready[1]);
    char byte;
    assert_int_equal(read(ready[0], &byte, 1), 0);
    close(ready[0]);
    char dir[256] = "";
    bool found = dump_target_report_dir(child, dir, sizeof dir);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_true(found);
    assert_string_equal(dir, "/tmp/tl-dir");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s STATIC_PROG TSAN_PROG\n", argv[0]);
        return 2;
    }
    static_prog_path = cli_optional_path(argv[1]);
    tsan_prog_path = cli_optional_path(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preload_composition),
        cmocka_unit_test(test_preload_puts_sanitizer_runtimes_first),
        cmocka_unit_test(test_preload_refuses_unsplittable_shim_path),
        cmocka_unit_test(test_options_composition_overrides_the_user),
        cmocka_unit_test(test_options_carry_the_label),
        cmocka_unit_test(test_options_carry_suppressions_and_verbosity),
        cmocka_unit_test(test_options_quote_awkward_directories),
        cmocka_unit_test(test_elf_inspect_dynamic),
        cmocka_unit_test(test_elf_inspect_static),
        cmocka_unit_test(test_elf_inspect_finds_libtsan),
        cmocka_unit_test(test_elf_inspect_rejects_junk),
        cmocka_unit_test(test_elf_inspect_every_truncation),
        cmocka_unit_test(test_prog_resolve_follows_path),
        cmocka_unit_test(test_report_file_names),
        cmocka_unit_test(test_shim_candidates_beside_the_exe),
        cmocka_unit_test(test_dump_finds_report_dir_beside_a_typo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
