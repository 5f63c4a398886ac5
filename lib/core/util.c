/*
 * util.c - hashing (XXH3-128 from libxxhash), files and small string helpers.
 */
#include "../internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void clnn_hasher_init(clnn_hasher *h) { XXH3_128bits_reset(&h->state); }

void clnn_hasher_add(clnn_hasher *h, const void *data, size_t len)
{
    if (len) XXH3_128bits_update(&h->state, data, len);
}

void clnn_hasher_add_str(clnn_hasher *h, const char *s)
{
    uint64_t n = s ? strlen(s) : 0;
    clnn_hasher_add(h, &n, sizeof n);
    clnn_hasher_add(h, s, n);
}

void clnn_hasher_add_device(clnn_hasher *h, const clnn_device_info *info)
{
    clnn_hasher_add_str(h, info->name);
    clnn_hasher_add_str(h, info->vendor);
    clnn_hasher_add_str(h, info->driver_version);
    clnn_hasher_add_str(h, info->device_version);
    clnn_hasher_add_str(h, info->platform_name);
    clnn_hasher_add_str(h, info->platform_version);
}

clnn_hash128 clnn_hasher_finish(clnn_hasher *h)
{
    clnn_hash128 r = {0, 0};
    XXH128_hash_t x = XXH3_128bits_digest(&h->state);
    r.lo = x.low64;
    r.hi = x.high64;
    return r;
}

clnn_hash128 clnn_hash_bytes(const void *data, size_t len)
{
    XXH128_hash_t x = XXH3_128bits(data, len);
    clnn_hash128 r = {x.low64, x.high64};
    return r;
}

void clnn_hash_hex(clnn_hash128 h, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.hi, (unsigned long long)h.lo);
}

int clnn_mkdir_p(const char *path)
{
    if (!path || !*path) return EINVAL;
    char *p = strdup(path);
    if (!p) return ENOMEM;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char saved = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = errno;
                break;
            }
            *s = saved;
            if (saved == '\0') break;
        }
    }
    if (rc == 0) {
        struct stat st;
        if (stat(p, &st) != 0)
            rc = errno;
        else if (!S_ISDIR(st.st_mode))
            rc = ENOTDIR;
    }
    free(p);
    return rc;
}

int clnn_read_file(const char *path, size_t max_bytes, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    /* Non-blocking, so a FIFO (or a device) is refused below instead of waited on. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return EISDIR;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return EFBIG;
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return e;
        }
        if (r == 0) break; /* file shrank: return what is there */
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A temporary file in the folder of `path`, renamed onto it: a reader sees the old or the new
 * contents, never a part. */
static int replace_file(const char *path, const void *data, size_t len, mode_t mode)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return ENOMEM;
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return e;
    }
    int rc = write_all(fd, data, len);
    if (close(fd) != 0 && rc == 0) rc = errno;
    if (rc == 0) {
        fchmodat(AT_FDCWD, tmp, mode, 0);
        if (rename(tmp, path) != 0) rc = errno;
    }
    if (rc != 0) unlink(tmp);
    free(tmp);
    return rc;
}

int clnn_write_file_atomic(const char *path, const void *data, size_t len)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) return errno;
        return replace_file(path, data, len, 0644); /* a new name */
    }
    if (S_ISREG(st.st_mode)) return replace_file(path, data, len, st.st_mode & 07777);
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (S_ISLNK(st.st_mode)) {
        /* The link stays: a regular file it points to is replaced where it is; anything
         * else it points to (a device, a FIFO, nothing yet) is written through the link. */
        char *target = realpath(path, NULL);
        if (target && stat(target, &st) == 0 && S_ISREG(st.st_mode)) {
            int rc = replace_file(target, data, len, st.st_mode & 07777);
            free(target);
            return rc;
        }
        free(target);
        if (target && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return EISDIR;
    }
    /* A device, FIFO or socket (or a link to one): written through, never replaced. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) return errno;
    int rc = write_all(fd, data, len);
    if (close(fd) != 0 && rc == 0) rc = errno;
    return rc;
}

char *clnn_strdup(const char *s) { return s ? strdup(s) : NULL; }

bool clnn_contains_nocase(const char *haystack, const char *needle)
{
    if (!haystack || !needle) return false;
    size_t n = strlen(needle);
    if (n == 0) return true;
    for (const char *h = haystack; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] &&
               tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return true;
    }
    return false;
}

void clnn_strbuf_printf(clnn_strbuf *sb, const char *fmt, ...)
{
    if (sb->failed) return;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
        va_end(ap2);
        return;
    }
    size_t need = sb->len + (size_t)n + 1;
    if (need > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 256;
        while (cap < need) cap *= 2;
        char *d = realloc(sb->data, cap);
        if (!d) {
            sb->failed = true;
            va_end(ap2);
            return;
        }
        sb->data = d;
        sb->cap = cap;
    }
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    sb->len += (size_t)n;
}

void clnn_strbuf_free(clnn_strbuf *sb)
{
    free(sb->data);
    memset(sb, 0, sizeof *sb);
}

double clnn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
