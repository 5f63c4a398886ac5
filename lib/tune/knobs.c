/*
 * knobs.c - knob tables of the convolution algorithms (shared with the tuner), their
 * heuristic defaults per device type, and the legality checks.
 */
#include "knobs.h"

#include <string.h>

/* The GEMM-shaped algorithms (1x1 and the Winograd products) share one kernel and knobs. */
#define GEMM_KNOBS                                                                            \
    {"TM", "output channels per work-item", 8, {1, 2, 4, 8, 12, 16, 24, 32}},                 \
        {"VEC", "columns per vector", 5, {1, 2, 4, 8, 16}},                                   \
        {"TN", "vectors per work-item", 4, {1, 2, 3, 4}},                                     \
        {"WGX", "work-items per group along columns", 8, {1, 2, 4, 8, 16, 32, 64, 128}},      \
        {"WGY", "work-items per group along channels", 4, {1, 2, 4, 8}},

static const clnn_algo_knobs tables[] = {
    {CLNN_CONV_ALGO_DIRECT,
     6,
     {
         {"TK", "output channels per work-item", 8, {1, 2, 4, 8, 12, 16, 24, 32}},
         {"VEC", "outputs per vector", 5, {1, 2, 4, 8, 16}},
         {"TV", "vectors per work-item", 4, {1, 2, 3, 4}},
         {"WGX", "work-items per group along outputs", 8, {1, 2, 4, 8, 16, 32, 64, 128}},
         {"WGY", "work-items per group along channels", 4, {1, 2, 4, 8}},
         {"UNROLL", "kernel-window loops unrolled (1) or kept (0)", 2, {0, 1}},
     }},
    {CLNN_CONV_ALGO_GEMM_1X1, 5, {GEMM_KNOBS}},
    {CLNN_CONV_ALGO_WINOGRAD_2X2, 5, {GEMM_KNOBS}},
    {CLNN_CONV_ALGO_WINOGRAD_4X4, 5, {GEMM_KNOBS}},
    {CLNN_CONV_ALGO_DEPTHWISE,
     4,
     {
         {"VEC", "outputs per work-item along the width (a vector)", 5, {1, 2, 4, 8, 16}},
         {"TH", "output rows per work-item", 4, {1, 2, 4, 8}},
         {"WGX", "work-items per group along the width", 8, {1, 2, 4, 8, 16, 32, 64, 128}},
         {"WGY", "work-items per group along rows", 4, {1, 2, 4, 8}},
     }},
};

const clnn_algo_knobs *clnn_knobs_table(clnn_conv_algo algo)
{
    for (size_t i = 0; i < CLNN_ARRAY_LEN(tables); i++)
        if (tables[i].algo == algo) return &tables[i];
    return NULL;
}

int clnn_knob_index(clnn_conv_algo algo, const char *name)
{
    const clnn_algo_knobs *t = clnn_knobs_table(algo);
    for (int i = 0; t && i < t->nknobs; i++)
        if (strcmp(t->knobs[i].name, name) == 0) return i;
    return -1;
}

static int pow2_at_least(int x, int cap)
{
    int v = 1;
    while (v < x && v < cap) v *= 2;
    return v;
}

/* Depthwise (VEC, TH, WGX, WGY): CPUs compute a vector of outputs per work-item and a
 * work-group spanning the row; GPUs want scalar work-items, many along the width. */
static void dw_default(const clnn_conv_params *p, const clnn_device_info *dev,
                       clnn_knob_config *cfg)
{
    const bool gpu = dev->type == CLNN_DEVICE_TYPE_GPU;
    int P = 1, Q = 1;
    clnn_conv_output_size(p, &P, &Q);
    /* The widest vector (up to the device's) whose blocks waste at most an eighth of a row. */
    int vec = 4;
    for (int v = dev->native_vector_width_float >= 16 ? 16 : 8; v > 4; v /= 2)
        if ((long)((Q + v - 1) / v) * v * 8 <= 9L * Q) {
            vec = v;
            break;
        }
    cfg->v[0] = gpu ? 1 : vec;
    /* Taller blocks share more input rows between output rows; on small maps one block
     * spanning the map also saves the launches of many tiny work-groups. */
    cfg->v[1] = gpu ? 2 : P <= 8 ? 8 : P <= 28 ? 4 : 2;
    cfg->v[2] = gpu ? 32 : pow2_at_least((Q + vec - 1) / vec, 16);
    cfg->v[3] = gpu ? 4 : 1;
    while (cfg->v[3] > 1 && ((size_t)cfg->v[3] > dev->max_work_item_sizes[1] ||
                             (size_t)cfg->v[2] * cfg->v[3] > dev->max_work_group_size))
        cfg->v[3] /= 2;
    while (cfg->v[2] > 1 && ((size_t)cfg->v[2] > dev->max_work_item_sizes[0] ||
                             (size_t)cfg->v[2] * cfg->v[3] > dev->max_work_group_size))
        cfg->v[2] /= 2;
}

void clnn_knobs_default(clnn_conv_algo algo, const clnn_conv_params *p,
                        const clnn_device_info *dev, clnn_knob_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    if (algo == CLNN_CONV_ALGO_DEPTHWISE) {
        dw_default(p, dev, cfg);
        return;
    }
    const bool gpu = dev->type == CLNN_DEVICE_TYPE_GPU;
    const int groups = p->groups > 0 ? p->groups : 1;
    const int Kg = p->out_channels / groups;
    const int vec = dev->native_vector_width_float >= 16 ? 16 : 8;
    /* Both tables start TK/TM, VEC, TV/TN, WGX, WGY (direct adds UNROLL). */
    if (gpu) {
        cfg->v[0] = Kg >= 8 ? 8 : pow2_at_least(Kg, 8);
        cfg->v[1] = 1;
        cfg->v[2] = 4;
        cfg->v[3] = 64;
        cfg->v[4] = 1;
    } else {
        cfg->v[0] = pow2_at_least(Kg, 16);
        cfg->v[1] = vec;
        cfg->v[2] = Kg == 1 ? 4 : 2;
        cfg->v[3] = 1;
        cfg->v[4] = 1;
    }
    if (algo == CLNN_CONV_ALGO_WINOGRAD_2X2 || algo == CLNN_CONV_ALGO_WINOGRAD_4X4 ||
        algo == CLNN_CONV_ALGO_GEMM_1X1) {
        if (!gpu) cfg->v[0] = pow2_at_least(p->out_channels, 16);
    }
    /* Columns of the product: with few of them a second vector per work-item is mostly
     * padding. */
    int P = 1, Q = 1;
    clnn_conv_output_size(p, &P, &Q); /* p was validated by the caller */
    long cols = (long)P * Q;
    if (algo == CLNN_CONV_ALGO_WINOGRAD_2X2 || algo == CLNN_CONV_ALGO_WINOGRAD_4X4) {
        int m = algo == CLNN_CONV_ALGO_WINOGRAD_2X2 ? 2 : 4;
        cols = (long)p->batch * ((P + m - 1) / m) * ((Q + m - 1) / m);
    } else if (algo == CLNN_CONV_ALGO_GEMM_1X1) {
        cols = (long)P * Q;
    }
    if (!gpu && cols < 4L * cfg->v[1] * cfg->v[2] && cfg->v[2] > 1) cfg->v[2] = 1;
    if (algo == CLNN_CONV_ALGO_DIRECT) cfg->v[5] = 1; /* UNROLL */
    /* Within what the device takes: a small GPU's work-group may hold fewer than 64. */
    while (cfg->v[4] > 1 && ((size_t)cfg->v[4] > dev->max_work_item_sizes[1] ||
                             (size_t)cfg->v[3] * cfg->v[4] > dev->max_work_group_size))
        cfg->v[4] /= 2;
    while (cfg->v[3] > 1 && ((size_t)cfg->v[3] > dev->max_work_item_sizes[0] ||
                             (size_t)cfg->v[3] * cfg->v[4] > dev->max_work_group_size))
        cfg->v[3] /= 2;
}

bool clnn_knobs_valid(clnn_conv_algo algo, const clnn_knob_config *cfg,
                      const clnn_conv_params *p, const clnn_device_info *dev, const char **why)
{
    (void)p;
    const clnn_algo_knobs *t = clnn_knobs_table(algo);
    if (!t) {
        *why = "no knob table for this algorithm";
        return false;
    }
    for (int i = 0; i < t->nknobs; i++) {
        bool listed = false;
        for (int j = 0; j < t->knobs[i].nvalues; j++)
            if (t->knobs[i].values[j] == cfg->v[i]) listed = true;
        if (!listed) {
            *why = "a knob has a value outside its table";
            return false;
        }
    }
    if (algo == CLNN_CONV_ALGO_DEPTHWISE) {
        /* VEC, TH, WGX, WGY: the block's accumulators and a row's taps in registers. */
        const int tw = cfg->v[0], th = cfg->v[1], dwx = cfg->v[2], dwy = cfg->v[3];
        if ((size_t)dwx * dwy > dev->max_work_group_size ||
            (size_t)dwx > dev->max_work_item_sizes[0] ||
            (size_t)dwy > dev->max_work_item_sizes[1]) {
            *why = "work-group larger than the device allows";
            return false;
        }
        if (tw * th > 64) {
            *why = "output block above 64 floats";
            return false;
        }
        *why = NULL;
        return true;
    }
    const int tile = cfg->v[0], vec = cfg->v[1], tv = cfg->v[2], wgx = cfg->v[3],
              wgy = cfg->v[4];
    if ((size_t)wgx * wgy > dev->max_work_group_size || (size_t)wgx > dev->max_work_item_sizes[0] ||
        (size_t)wgy > dev->max_work_item_sizes[1]) {
        *why = "work-group larger than the device allows";
        return false;
    }
    if (tile * tv * vec > 512) {
        *why = "register tile above 512 floats";
        return false;
    }
    *why = NULL;
    return true;
}

void clnn_knobs_options(clnn_conv_algo algo, const clnn_knob_config *cfg, clnn_strbuf *sb)
{
    const clnn_algo_knobs *t = clnn_knobs_table(algo);
    for (int i = 0; t && i < t->nknobs; i++)
        clnn_strbuf_printf(sb, "%s-D%s=%d", sb->len ? " " : "", t->knobs[i].name, cfg->v[i]);
}

void clnn_knobs_describe(clnn_conv_algo algo, const clnn_knob_config *cfg, char *out,
                         size_t cap)
{
    const clnn_algo_knobs *t = clnn_knobs_table(algo);
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; t && i < t->nknobs && n < cap; i++) {
        int w = snprintf(out + n, cap - n, "%s%s=%d", i ? "," : "", t->knobs[i].name, cfg->v[i]);
        if (w < 0) break;
        n += (size_t)w;
    }
}
