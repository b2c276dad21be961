/* The label file of a report directory. */
#include "run_label.h"

#include "toolbox.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool run_label_valid(const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n > TL_LABEL_MAX)
        return false;
    for (size_t i = 0; i < n;) {
        const unsigned char *s = (const unsigned char *)text + i;
        if (*s < 0x20 || *s == 0x7f)
            return false;
        int len = tl__utf8_sequence(s, n - i);
        if (len <= 0)
            return false;
        i += (size_t)len;
    }
    return true;
}

int run_label_write(const char *dir, const char *label, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, TL_LABEL_FILE);
    FILE *f = fopen(path, "we");
    bool ok = f && fputs(label, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return ok ? 0 : -1;
}

char *run_label_read_at(int dirfd)
{
    size_t len;
    char *text = tl__read_file_at(dirfd, TL_LABEL_FILE, TL_LABEL_MAX + 1, &len);
    if (text && !run_label_valid(text)) {
        free(text);
        text = NULL;
    }
    return text;
}
