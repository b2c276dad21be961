/* The endpoint tests' HTTP client and process helpers. */
#include "test_endpoint_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int http_connect(const char *where)
{
    char host[64];
    const char *colon = strrchr(where, ':');
    if (!colon || (size_t)(colon - where) >= sizeof host)
        return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - where), where);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

/* Everything the server sends until it closes, within HTTP_TIMEOUT_MS. */
static char *receive_all(int fd, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    uint64_t deadline = now_ms() + HTTP_TIMEOUT_MS;
    char chunk[16384];
    for (;;) {
        uint64_t now = now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
            break;
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        fwrite(chunk, 1, (size_t)n, out);
    }
    fclose(out);
    *len = size;
    return buf;
}

static void parse_reply(char *raw, size_t len, struct http_reply *r)
{
    char *end = memmem(raw, len, "\r\n\r\n", 4);
    if (!end || sscanf(raw, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
        return;
    }
    size_t header_len = (size_t)(end - raw);
    r->headers = strndup(raw, header_len);
    r->length = len - header_len - 4;
    r->body = malloc(r->length + 1);
    memcpy(r->body, end + 4, r->length);
    r->body[r->length] = '\0';
}

struct http_reply http_request(const char *where, const char *method, const char *path,
                               const char *extra)
{
    struct http_reply r = {0};
    int fd = http_connect(where);
    if (fd < 0)
        return r;
    char request[4096];
    snprintf(request, sizeof request, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n",
             method ? method : "GET", path, where, extra ? extra : "");
    if (send_all(fd, request, strlen(request))) {
        size_t len;
        char *raw = receive_all(fd, &len);
        parse_reply(raw, len, &r);
        free(raw);
    }
    close(fd);
    return r;
}

struct http_reply http_get(const char *where, const char *path)
{
    return http_request(where, NULL, path, NULL);
}

void http_reply_free(struct http_reply *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

bool http_header(const struct http_reply *r, const char *name, char *out, size_t len)
{
    size_t name_len = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t line_len = eol ? (size_t)(eol - line) : strlen(line);
        if (line_len > name_len && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (*v == ' ')
                v++;
            snprintf(out, len, "%.*s", (int)(line + line_len - v), v);
            return true;
        }
        line = eol ? eol + 2 : NULL;
    }
    return false;
}

pid_t start_program(char *const argv[], const char *const *env, const char *err_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, out);
    fclose(f);
    fclose(out);
    if (len)
        *len = size;
    return buf;
}

char *wait_for_line_file(const char *path, unsigned timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;
    do {
        char *text = slurp(path, NULL);
        char *nl = text ? strchr(text, '\n') : NULL;
        if (nl) {
            *nl = '\0';
            return text;
        }
        free(text);
        usleep(10000);
    } while (now_ms() < deadline);
    return NULL;
}

int wait_exit(pid_t pid, unsigned timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;
    do {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0)
            return -1;
        usleep(10000);
    } while (now_ms() < deadline);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

bool process_alive(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    char *text = slurp(path, NULL);
    char *close = text ? strrchr(text, ')') : NULL;
    bool alive = close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
    free(text);
    return alive;
}

long process_rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    char *text = slurp(path, NULL);
    const char *line = text ? strstr(text, "VmRSS:") : NULL;
    long kib = line ? strtol(line + 6, NULL, 10) : -1;
    free(text);
    return kib;
}
