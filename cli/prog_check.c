/* The checks behind prog_check, in the order the kernel and the loader would trip over them:
 * existence, execute permission, #! indirection, ELF format and machine, static linking, and
 * secure-execution mode. */
#include "prog_check.h"
#include "prog_resolve.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_SCRIPT_DEPTH 4   /* the kernel gives up on deeper #! chains */
#define SHEBANG_MAX      256 /* the kernel reads this much of a script (BINPRM_BUF_SIZE) */
#define NAME_MAX_SHOWN   (PATH_MAX + 64)

struct check {
    const struct tl__elf_info *shim;
    struct tl__prog *prog;
    char *err;
    size_t errlen;
    char *warn;
    size_t warnlen;
};

/* One file under inspection: its path, and the script that named it as interpreter (or NULL). */
struct subject {
    const char *path;
    const char *script;
    char shown[NAME_MAX_SHOWN]; /* how messages name it */
};

static void subject_init(struct subject *s, const char *path, const char *script)
{
    s->path = path;
    s->script = script;
    if (script)
        snprintf(s->shown, sizeof s->shown, "%s (the #! interpreter of %s)", path, script);
    else
        snprintf(s->shown, sizeof s->shown, "%s", path);
}

__attribute__((format(printf, 3, 4))) static int fail(struct check *c, int status, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return status;
}

static int check_stat(struct check *c, const struct subject *s, struct stat *st)
{
    if (stat(s->path, st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return fail(c, TL_STATUS_NOT_FOUND, "%s: not found", s->shown);
        return fail(c, TL_STATUS_CANNOT_RUN, "%s: %s", s->shown, strerror(errno));
    }
    if (S_ISDIR(st->st_mode))
        return fail(c, TL_STATUS_CANNOT_RUN, "%s is a directory", s->shown);
    if (!S_ISREG(st->st_mode))
        return fail(c, TL_STATUS_CANNOT_RUN, "%s is not a regular file", s->shown);
    if (access(s->path, X_OK) != 0)
        return fail(c, TL_STATUS_NOT_FOUND, "%s is not executable", s->shown);
    return 0;
}

/* Whether exec would switch credentials and so put the loader into secure-execution mode
 * (AT_SECURE), where it ignores LD_PRELOAD. A set-user-ID bit that names the caller itself, a
 * nosuid mount and no_new_privs all leave the credentials alone; the loader then preloads as
 * usual, so those are not refused. */
static int check_credentials(struct check *c, const struct subject *s, const struct stat *st)
{
    struct statvfs fs;
    if (statvfs(s->path, &fs) == 0 && (fs.f_flag & ST_NOSUID))
        return 0;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
        return 0;
    if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
        return fail(c, TL_STATUS_CANNOT_RUN,
                    "%s is set-user-ID (owner uid %u); the loader ignores LD_PRELOAD for "
                    "set-user-ID programs",
                    s->shown, (unsigned)st->st_uid);
    /* Without group execute permission the set-group-ID bit means mandatory locking. */
    if ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != getgid())
        return fail(c, TL_STATUS_CANNOT_RUN,
                    "%s is set-group-ID (group gid %u); the loader ignores LD_PRELOAD for "
                    "set-group-ID programs",
                    s->shown, (unsigned)st->st_gid);
    if (getuid() != 0 && getxattr(s->path, "security.capability", NULL, 0) > 0)
        return fail(c, TL_STATUS_CANNOT_RUN,
                    "%s has file capabilities; the loader ignores LD_PRELOAD for programs "
                    "that gain privileges",
                    s->shown);
    return 0;
}

static int check_elf_kind(struct check *c, const struct subject *s, const struct tl__elf_info *elf)
{
    char mine[64], theirs[64];
    switch (elf->kind) {
    case TL_ELF_NOT_ELF:
        return fail(c, TL_STATUS_CANNOT_RUN, "%s is not an ELF executable or a #! script",
                    s->shown);
    case TL_ELF_MALFORMED:
        return fail(c, TL_STATUS_CANNOT_RUN, "%s is a damaged or truncated ELF file", s->shown);
    case TL_ELF_FOREIGN:
        return fail(c, TL_STATUS_CANNOT_RUN,
                    "%s is built for a machine of the other byte order; the shim cannot be "
                    "preloaded into it",
                    s->shown);
    case TL_ELF_NOT_EXECUTABLE:
        return fail(c, TL_STATUS_CANNOT_RUN, "%s is an ELF object or core file, not a program",
                    s->shown);
    case TL_ELF_STATIC:
        return fail(c, TL_STATUS_CANNOT_RUN,
                    "%s is statically linked; LD_PRELOAD cannot reach it — relink dynamically",
                    s->shown);
    case TL_ELF_DYNAMIC:
        break;
    }
    if (c->shim && (elf->elf_class != c->shim->elf_class || elf->machine != c->shim->machine))
        return fail(c, TL_STATUS_CANNOT_RUN, "%s is a %s program, but the shim is %s", s->shown,
                    elf_describe_machine(elf, theirs, sizeof theirs),
                    elf_describe_machine(c->shim, mine, sizeof mine));
    return 0;
}

/* The interpreter named by a "#!" first line, as the kernel reads it: after optional blanks, up
 * to the next blank or end of line. Returns false when the line names none. */
static bool shebang_interpreter(const char *head, size_t len, char *out, size_t outlen)
{
    size_t i = 2;
    while (i < len && (head[i] == ' ' || head[i] == '\t'))
        i++;
    size_t start = i;
    while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0')
        i++;
    size_t n = i - start;
    if (n == 0 || n >= outlen)
        return false;
    memcpy(out, head + start, n);
    out[n] = '\0';
    return true;
}

/* Reads the first bytes; returns their count, or -1 (with errno) when the file is unreadable. */
static ssize_t read_head(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n;
    do {
        n = read(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    errno = saved;
    return n;
}

static int check_file(struct check *c, const char *path, const char *script, int depth);

static int check_script(struct check *c, const struct subject *s, const char *head, size_t len,
                        int depth)
{
    if (depth >= MAX_SCRIPT_DEPTH)
        return fail(c, TL_STATUS_CANNOT_RUN, "%s: too many levels of #! interpreters", s->shown);
    char interp[PATH_MAX];
    if (!shebang_interpreter(head, len, interp, sizeof interp))
        return fail(c, TL_STATUS_CANNOT_RUN, "%s has a #! line that names no interpreter",
                    s->shown);
    /* The kernel ignores set-user-ID bits on scripts, so only the interpreter is checked. */
    return check_file(c, interp, s->path, depth + 1);
}

static int check_file(struct check *c, const char *path, const char *script, int depth)
{
    struct subject s;
    subject_init(&s, path, script);
    struct stat st;
    int status = check_stat(c, &s, &st);
    if (status != 0)
        return status;

    char head[SHEBANG_MAX];
    ssize_t len = read_head(path, head, sizeof head);
    if (len < 0) {
        snprintf(c->warn, c->warnlen,
                 "warning: cannot read %s (%s) to check that LD_PRELOAD can reach it; running "
                 "it anyway",
                 s.shown, strerror(errno));
        return 0;
    }
    if (len >= 2 && head[0] == '#' && head[1] == '!')
        return check_script(c, &s, head, (size_t)len, depth);

    struct tl__elf_info elf;
    if (elf_inspect_file(path, &elf) != 0)
        return fail(c, TL_STATUS_CANNOT_RUN, "%s: %s", s.shown, strerror(errno));
    status = check_elf_kind(c, &s, &elf);
    if (status == 0)
        status = check_credentials(c, &s, &st);
    if (status != 0)
        return status;
    c->prog->elf = elf;
    c->prog->inspected = true;
    if (script)
        snprintf(c->prog->interpreter, sizeof c->prog->interpreter, "%s", path);
    return 0;
}

int prog_check(const char *name, const struct tl__elf_info *shim, struct tl__prog *prog, char *err,
               size_t errlen, char *warn, size_t warnlen)
{
    struct check c = {shim, prog, err, errlen, warn, warnlen};
    memset(prog, 0, sizeof *prog);
    if (errlen)
        err[0] = '\0';
    if (warnlen)
        warn[0] = '\0';
    int rc = prog_resolve(name, prog->path, sizeof prog->path);
    if (rc == ENOENT)
        return fail(&c, TL_STATUS_NOT_FOUND, "%s: not found%s", name,
                    strchr(name, '/') ? "" : " in PATH");
    if (rc == ENAMETOOLONG)
        return fail(&c, TL_STATUS_NOT_FOUND, "%s: path too long", name);
    /* EACCES leaves the unusable file's path in prog->path; check_file names the reason. */
    return check_file(&c, prog->path, NULL, 0);
}
