/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <unistd.h>

char *tu_mkdtemp(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base) + strlen(tag) + 32;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/clnn-%s-XXXXXX", base, tag);
    assert_non_null(mkdtemp(p));
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path)
{
    if (path) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void tu_write_file(const char *dir, const char *name, const char *text)
{
    char *p = tu_path(dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

static char log_buf[65536];
static size_t log_len;
static clnn_log_level saved_level;

static void log_sink(clnn_log_level level, const char *msg, void *user)
{
    (void)level;
    (void)user;
    int n = snprintf(log_buf + log_len, sizeof log_buf - log_len, "%s\n", msg);
    if (n > 0 && log_len + (size_t)n < sizeof log_buf) log_len += (size_t)n;
}

void tu_log_capture_begin(void)
{
    log_len = 0;
    log_buf[0] = '\0';
    clnn_set_log_callback(log_sink, NULL);
    saved_level = clnn_set_log_level(CLNN_LOG_LEVEL_DEBUG);
}

void tu_log_capture_end(void)
{
    clnn_set_log_callback(NULL, NULL);
    clnn_set_log_level(saved_level);
}

const char *tu_log_text(void) { return log_buf; }

void tu_fill_uniform(float *x, size_t n, uint32_t seed, float lo, float hi)
{
    uint64_t s = 0x9E3779B97F4A7C15ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)((s >> 40) & 0xFFFFFF) / 16777216.0f;
    }
}

int tu_allclose(const float *got, const float *want, size_t n, float atol, float rtol,
                const char *what)
{
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(got[i] - want[i]);
        if (!(d <= atol + rtol * fabsf(want[i]))) {
            print_error("%s: mismatch at index %zu: got %.8g, want %.8g (|diff| %.3g > %.3g + "
                        "%.3g*|want|)\n",
                        what, i, got[i], want[i], d, atol, rtol);
            return 0;
        }
    }
    return 1;
}

bool tu_small(void)
{
    const char *v = getenv("CLNN_TEST_SMALL");
    return v && *v && strcmp(v, "0") != 0;
}

clnn_status tu_context(clnn_context **ctx)
{
    const char *sel = getenv("CLNN_DEVICES");
    return clnn_context_create(sel && *sel ? sel : "cpu", ctx);
}

clnn_context *tu_ctx;

int tu_group_setup(void **state)
{
    (void)state;
    if (tu_context(&tu_ctx) == CLNN_STATUS_OK) return 0;
    print_error("no OpenCL context for the tests: %s\n", clnn_last_error());
    return -1;
}

int tu_group_teardown(void **state)
{
    (void)state;
    clnn_context_destroy(tu_ctx);
    tu_ctx = NULL;
    return 0;
}
