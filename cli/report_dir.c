/* Creating, checking and removing report directories. */
#include "report_dir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPORT_PREFIX "threadleak."

bool report_file_pid(const char *name, const char *ext, pid_t *pid)
{
    size_t prefix = strlen(REPORT_PREFIX);
    if (strncmp(name, REPORT_PREFIX, prefix) != 0)
        return false;
    const char *digits = name + prefix;
    size_t ndigits = strspn(digits, "0123456789");
    if (ndigits == 0 || ndigits > 10 || digits[ndigits] != '.' ||
        strcmp(digits + ndigits + 1, ext) != 0)
        return false;
    long long value = strtoll(digits, NULL, 10);
    if (value <= 0 || value > INT_MAX)
        return false;
    *pid = (pid_t)value;
    return true;
}

static int absolute_path(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (strlen(resolved) >= outlen) {
        snprintf(err, errlen, "%s: path too long", resolved);
        return -1;
    }
    strcpy(out, resolved);
    return 0;
}

int report_dir_create_private(char *out, size_t outlen, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char templ[PATH_MAX];
    if ((size_t)snprintf(templ, sizeof templ, "%s/threadleak.XXXXXX", tmp) >= sizeof templ) {
        snprintf(err, errlen, "TMPDIR=%s: path too long", tmp);
        return -1;
    }
    if (!mkdtemp(templ)) {
        snprintf(err, errlen, "cannot create a report directory in %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (absolute_path(templ, out, outlen, err, errlen) != 0) {
        rmdir(templ);
        return -1;
    }
    return 0;
}

bool report_dir_holds_reports(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    pid_t pid;
    for (struct dirent *e; !found && (e = readdir(d));)
        found = report_file_pid(e->d_name, "json", &pid);
    closedir(d);
    return found;
}

/* DIR/run.<UTC time>.<pid>: sorts by start time, and unique among runs that share DIR at the same
 * time (their pids differ); .N covers a pid reused within the same second. */
static int make_run_subdir(const char *dir, char *path, size_t pathlen, char *err, size_t errlen)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    for (unsigned n = 0; n < 100; n++) {
        int len = n == 0
                      ? snprintf(path, pathlen, "%s/run.%s.%ld", dir, stamp, (long)getpid())
                      : snprintf(path, pathlen, "%s/run.%s.%ld.%u", dir, stamp, (long)getpid(), n);
        if (len < 0 || (size_t)len >= pathlen) {
            snprintf(err, errlen, "--keep-reports %s: path too long", dir);
            return -1;
        }
        if (mkdir(path, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    snprintf(err, errlen, "--keep-reports %s: cannot create a directory for this run: %s", dir,
             strerror(errno));
    return -1;
}

int report_dir_prepare_kept(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--keep-reports %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--keep-reports %s: not a directory", dir);
        return -1;
    }
    char parent[PATH_MAX], run[PATH_MAX + 64];
    if (absolute_path(dir, parent, sizeof parent, err, errlen) != 0 ||
        make_run_subdir(parent, run, sizeof run, err, errlen) != 0)
        return -1;
    if (report_dir_holds_reports(run)) { /* cannot happen for a new directory; stays a guard */
        snprintf(err, errlen, "--keep-reports %s already holds threadleak.PID.json reports", run);
        return -1;
    }
    if (strlen(run) >= outlen) {
        snprintf(err, errlen, "%s: path too long", run);
        return -1;
    }
    strcpy(out, run);
    return 0;
}

int report_dir_remove(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot remove %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = dirfd(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(fd, e->d_name, 0);
    }
    closedir(d);
    if (rmdir(dir) != 0) {
        snprintf(err, errlen, "cannot remove %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}
