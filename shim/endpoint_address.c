/* Loopback-only address parsing for the endpoint. */
#include "endpoint_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 64

/* Splits "HOST:PORT" / "[HOST]:PORT" into host and port. */
static int split(const char *text, char *host, size_t hostlen, unsigned *port, char *err,
                 size_t errlen)
{
    const char *colon = strrchr(text, ':');
    if (!colon) {
        snprintf(err, errlen,
                 "http=%s: no port (expected HOST:PORT, e.g. 127.0.0.1:6060); running without the "
                 "endpoint",
                 text);
        return -1;
    }
    const char *p = colon + 1;
    unsigned long n = 0;
    if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5 ||
        (n = strtoul(p, NULL, 10)) > 65535) {
        snprintf(err, errlen, "http=%s: bad port (expected 0..65535); running without the endpoint",
                 text);
        return -1;
    }
    *port = (unsigned)n;
    const char *begin = text, *end = colon;
    if (*begin == '[') {
        if (end == begin || end[-1] != ']') {
            snprintf(err, errlen, "http=%s: unbalanced '['; running without the endpoint", text);
            return -1;
        }
        begin++;
        end--;
    }
    size_t len = (size_t)(end - begin);
    if (len == 0 || len >= hostlen) {
        snprintf(err, errlen, "http=%s: bad host; running without the endpoint", text);
        return -1;
    }
    memcpy(host, begin, len);
    host[len] = '\0';
    return 0;
}

static bool ipv4_loopback(const struct in_addr *a)
{
    return (ntohl(a->s_addr) >> 24) == 127;
}

/* host as a loopback address; false for anything else. */
static bool resolve_loopback(const char *host, struct endpoint_address *out, unsigned port)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    if (strcasecmp(host, "localhost") == 0)
        v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &v4.sin_addr) == 1)
        ; /* checked below */
    else if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 && IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr)) {
        memcpy(&out->addr, &v6, sizeof v6);
        out->addr_len = sizeof v6;
        return true;
    } else {
        return false;
    }
    if (!ipv4_loopback(&v4.sin_addr))
        return false;
    memcpy(&out->addr, &v4, sizeof v4);
    out->addr_len = sizeof v4;
    return true;
}

int endpoint_address_parse(const char *text, struct endpoint_address *out, char *err, size_t errlen)
{
    char host[HOST_MAX];
    memset(out, 0, sizeof *out);
    if (!text || !*text) {
        snprintf(err, errlen, "http=: empty address");
        return -1;
    }
    if (split(text, host, sizeof host, &out->port, err, errlen) != 0)
        return -1;
    if (!resolve_loopback(host, out, out->port)) {
        snprintf(err, errlen,
                 "http=%s refused: the endpoint listens on loopback only (127.0.0.0/8, [::1] or "
                 "localhost); running without it",
                 text);
        return -1;
    }
    return 0;
}

bool endpoint_host_header_ok(const char *host)
{
    if (!host)
        return true;
    char name[HOST_MAX];
    const char *end = NULL;
    if (host[0] == '[') {
        end = strchr(host, ']');
        if (!end)
            return false;
        end++;
    } else {
        end = strchr(host, ':');
        if (!end)
            end = host + strlen(host);
    }
    if (*end && *end != ':')
        return false;
    size_t len = (size_t)(end - host);
    if (len == 0 || len >= sizeof name)
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    struct endpoint_address ignored;
    char stripped[HOST_MAX];
    if (name[0] == '[') {
        snprintf(stripped, sizeof stripped, "%.*s", (int)(len - 2), name + 1);
        return resolve_loopback(stripped, &ignored, 0);
    }
    return resolve_loopback(name, &ignored, 0);
}

void endpoint_address_format(const struct endpoint_address *addr, unsigned port, char *buf,
                             size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&addr->addr;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, port);
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&addr->addr;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, port);
    }
}
