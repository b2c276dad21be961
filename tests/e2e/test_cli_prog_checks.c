/* The programs `threadleak run` refuses, each with one line naming the file, and the ones it
 * accepts: #! scripts, and set-user-ID programs that would not change credentials. */
#include "test_cli_helpers.h"

#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOBODY    65534 /* uid and gid that differ from the tests' own */

static const char *static_prog_path; /* "" when libc.a was not there to link one */
static const char *dynamic_prog = "/bin/true";
static const char *cat_prog = "/bin/cat";

struct fixture {
    char *dir;
    char path[4200];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = make_temp_dir();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    remove_tree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static const char *in_dir(struct fixture *f, const char *name)
{
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
    return f->path;
}

/* Runs `threadleak run -- prog` under the stub shim; expects status and the one-line message. */
static void expect_refusal(const char *prog, int status, const char *message)
{
    struct cli_result r = cli_run(ARGS("run", "--", prog), with_stub(NULL));
    assert_int_equal(r.status, status);
    assert_non_null(strstr(r.err, message));
    /* One line, starting with the tool's name, naming the file. */
    assert_true(strncmp(r.err, "threadleak: ", 12) == 0);
    assert_non_null(strstr(r.err, prog));
    assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
    cli_result_free(&r);
}

static void test_not_found_in_path(void **state)
{
    (void)state;
    expect_refusal("threadleak-no-such-program", 127, ": not found in PATH");
}

static void test_not_found_by_path(void **state)
{
    struct fixture *f = *state;
    expect_refusal(in_dir(f, "missing"), 127, ": not found");
}

static void test_not_executable(void **state)
{
    struct fixture *f = *state;
    copy_file(dynamic_prog, in_dir(f, "no-x"), 0644);
    expect_refusal(f->path, 127, "is not executable");
}

static void test_directory(void **state)
{
    struct fixture *f = *state;
    expect_refusal(f->dir, 126, "is a directory");
}

static void test_not_elf(void **state)
{
    struct fixture *f = *state;
    write_text_file(in_dir(f, "text"), "just words\n", 0755);
    expect_refusal(f->path, 126, "is not an ELF executable or a #! script");
}

static void test_truncated_elf(void **state)
{
    struct fixture *f = *state;
    char *whole = read_text_file(dynamic_prog); /* binary, but only the first bytes matter */
    FILE *out = fopen(in_dir(f, "truncated"), "w");
    fwrite(whole, 1, 100, out); /* the ELF header, and program headers cut short */
    fclose(out);
    free(whole);
    chmod(f->path, 0755);
    expect_refusal(f->path, 126, "damaged or truncated ELF");
}

static void test_static_executable(void **state)
{
    (void)state;
    if (!static_prog_path[0]) {
        print_message("libc.a is missing, so no static program could be linked: skipped\n");
        skip();
    }
    expect_refusal(static_prog_path, 126,
                   "is statically linked; LD_PRELOAD cannot reach it — relink dynamically");
}

/* A minimal 32-bit ELF executable header with a PT_INTERP, for a machine this is not. */
static void write_foreign_elf(const char *path)
{
    struct {
        Elf32_Ehdr e;
        Elf32_Phdr p;
    } file = {0};
    memcpy(file.e.e_ident, ELFMAG, SELFMAG);
    file.e.e_ident[EI_CLASS] = ELFCLASS32;
    file.e.e_ident[EI_DATA] = ELFDATA2LSB;
    file.e.e_ident[EI_VERSION] = EV_CURRENT;
    file.e.e_type = ET_EXEC;
    file.e.e_machine = sizeof(void *) == 8 ? EM_386 : EM_S390;
    file.e.e_version = EV_CURRENT;
    file.e.e_phoff = sizeof file.e;
    file.e.e_ehsize = sizeof file.e;
    file.e.e_phentsize = sizeof file.p;
    file.e.e_phnum = 1;
    file.p.p_type = PT_INTERP;
    FILE *out = fopen(path, "w");
    fwrite(&file, sizeof file, 1, out);
    fclose(out);
    chmod(path, 0755);
}

static void test_other_machine(void **state)
{
    struct fixture *f = *state;
    write_foreign_elf(in_dir(f, "foreign"));
    expect_refusal(f->path, 126, "is a 32-bit");
    struct cli_result r = cli_run(ARGS("run", "--", f->path), with_stub(NULL));
    assert_non_null(strstr(r.err, "but the shim is"));
    cli_result_free(&r);
}

static bool dir_allows_setuid(const char *dir)
{
    struct statvfs fs;
    return statvfs(dir, &fs) == 0 && !(fs.f_flag & ST_NOSUID) && getuid() == 0;
}

static void test_setuid_to_another_user(void **state)
{
    struct fixture *f = *state;
    if (!dir_allows_setuid(f->dir)) {
        print_message("needs root and a mount without nosuid: skipped\n");
        skip();
    }
    copy_file(dynamic_prog, in_dir(f, "suid"), 0755);
    assert_int_equal(chown(f->path, NOBODY, 0), 0);
    assert_int_equal(chmod(f->path, 04755), 0);
    expect_refusal(f->path, 126, "the loader ignores LD_PRELOAD for set-user-ID programs");
}

static void test_setgid_to_another_group(void **state)
{
    struct fixture *f = *state;
    if (!dir_allows_setuid(f->dir)) {
        print_message("needs root and a mount without nosuid: skipped\n");
        skip();
    }
    copy_file(dynamic_prog, in_dir(f, "sgid"), 0755);
    assert_int_equal(chown(f->path, 0, NOBODY), 0);
    assert_int_equal(chmod(f->path, 02755), 0);
    expect_refusal(f->path, 126, "set-group-ID");
}

/* Set-user-ID to oneself changes no credentials, so the loader does preload: the stub shim is
 * in the program's own memory map. */
static void test_setuid_to_self_is_run_and_preloaded(void **state)
{
    struct fixture *f = *state;
    if (!dir_allows_setuid(f->dir)) {
        print_message("needs root and a mount without nosuid: skipped\n");
        skip();
    }
    copy_file(cat_prog, in_dir(f, "suid-self-cat"), 04755);
    struct cli_result r = cli_run(ARGS("run", "--", f->path, "/proc/self/maps"), with_stub(NULL));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, stub_shim_path));
    cli_result_free(&r);
}

static void test_script_runs_with_the_shim(void **state)
{
    struct fixture *f = *state;
    write_text_file(in_dir(f, "script"), "#!/bin/sh\necho \"ran $1 $LD_PRELOAD\"\n", 0755);
    struct cli_result r = cli_run(ARGS("run", "--", f->path, "arg"), with_stub(NULL));
    assert_int_equal(r.status, 0);
    char want[4400];
    snprintf(want, sizeof want, "ran arg %s\n", stub_shim_path);
    assert_string_equal(r.out, want);
    cli_result_free(&r);
}

static void test_env_script_runs(void **state)
{
    struct fixture *f = *state;
    write_text_file(in_dir(f, "env-script"), "#! /usr/bin/env sh\nexit 4\n", 0755);
    struct cli_result r = cli_run(ARGS("run", "--", f->path), with_stub(NULL));
    assert_int_equal(r.status, 4);
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static void test_script_with_missing_interpreter(void **state)
{
    struct fixture *f = *state;
    write_text_file(in_dir(f, "orphan-script"), "#!/nonexistent/interp -x\n", 0755);
    struct cli_result r = cli_run(ARGS("run", "--", f->path), with_stub(NULL));
    assert_int_equal(r.status, 127);
    assert_non_null(strstr(r.err, "/nonexistent/interp (the #! interpreter of"));
    assert_non_null(strstr(r.err, "not found"));
    cli_result_free(&r);
}

static void test_script_with_non_elf_interpreter(void **state)
{
    struct fixture *f = *state;
    char interp[4200];
    snprintf(interp, sizeof interp, "%s/words", f->dir);
    write_text_file(interp, "not a program\n", 0755);
    char script[4400];
    snprintf(script, sizeof script, "#!%s\n", interp);
    write_text_file(in_dir(f, "script2"), script, 0755);
    struct cli_result r = cli_run(ARGS("run", "--", f->path), with_stub(NULL));
    assert_int_equal(r.status, 126);
    assert_non_null(strstr(r.err, "is not an ELF executable"));
    assert_non_null(strstr(r.err, "#! interpreter of"));
    cli_result_free(&r);
}

static void test_script_with_static_interpreter(void **state)
{
    struct fixture *f = *state;
    if (!static_prog_path[0]) {
        print_message("libc.a is missing: skipped\n");
        skip();
    }
    char script[4400];
    snprintf(script, sizeof script, "#!%s\n", static_prog_path);
    write_text_file(in_dir(f, "script3"), script, 0755);
    struct cli_result r = cli_run(ARGS("run", "--", f->path), with_stub(NULL));
    assert_int_equal(r.status, 126);
    assert_non_null(strstr(r.err, "is statically linked"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    cli_paths_from_args(argc, argv, 4);
    static_prog_path = cli_optional_path(argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_found_in_path),
        cmocka_unit_test_setup_teardown(test_not_found_by_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_executable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_elf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_elf, setup, teardown),
        cmocka_unit_test(test_static_executable),
        cmocka_unit_test_setup_teardown(test_other_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setuid_to_another_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setgid_to_another_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setuid_to_self_is_run_and_preloaded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_runs_with_the_shim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_script_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_with_missing_interpreter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_with_non_elf_interpreter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_with_static_interpreter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
