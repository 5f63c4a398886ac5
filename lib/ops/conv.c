/*
 * conv.c - the convolution layer API: parameter validation, the table of algorithm
 * descriptors and their knobs, and dispatch (the choice of algorithm is conv_select.c's).
 */
#include "conv.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by algorithm; AUTO has none. */
static const clnn_conv_algo_def *const algo_defs[CLNN_CONV_ALGO_COUNT] = {
    [CLNN_CONV_ALGO_DIRECT] = &clnn_conv_direct_def,
    [CLNN_CONV_ALGO_GEMM_1X1] = &clnn_conv_1x1_def,
    [CLNN_CONV_ALGO_WINOGRAD_2X2] = &clnn_conv_winograd2_def,
    [CLNN_CONV_ALGO_WINOGRAD_4X4] = &clnn_conv_winograd4_def,
    [CLNN_CONV_ALGO_DEPTHWISE] = &clnn_conv_dw_def,
};

const clnn_conv_algo_def *clnn_conv_algo_of(clnn_conv_algo algo)
{
    return (unsigned)algo < CLNN_CONV_ALGO_COUNT ? algo_defs[algo] : NULL;
}

/* ---- knobs ---------------------------------------------------------------------------------- */

const clnn_algo_knobs *clnn_knobs_table(clnn_conv_algo algo)
{
    const clnn_conv_algo_def *d = clnn_conv_algo_of(algo);
    return d ? &d->knobs : NULL;
}

int clnn_knob_index(clnn_conv_algo algo, const char *name)
{
    const clnn_algo_knobs *t = clnn_knobs_table(algo);
    for (int i = 0; t && i < t->nknobs; i++)
        if (strcmp(t->knobs[i].name, name) == 0) return i;
    return -1;
}

int clnn_pow2_at_least(int x, int cap)
{
    int v = 1;
    while (v < x && v < cap) v *= 2;
    return v;
}

void clnn_knobs_default(clnn_conv_algo algo, const clnn_conv_params *p,
                        const clnn_device_info *dev, clnn_knob_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    const clnn_conv_algo_def *d = clnn_conv_algo_of(algo);
    if (d) d->default_knobs(p, dev, cfg);
}

void clnn_tile_knobs_default(int kg, int k_cpu, long cols, const clnn_device_info *dev,
                             clnn_knob_config *cfg)
{
    const bool gpu = dev->type == CLNN_DEVICE_TYPE_GPU;
    const int vec = dev->native_vector_width_float >= 16 ? 16 : 8;
    if (gpu) {
        cfg->v[0] = kg >= 8 ? 8 : clnn_pow2_at_least(kg, 8);
        cfg->v[1] = 1;
        cfg->v[2] = 4;
        cfg->v[3] = 64;
        cfg->v[4] = 1;
    } else {
        cfg->v[0] = clnn_pow2_at_least(k_cpu, 16);
        cfg->v[1] = vec;
        cfg->v[2] = kg == 1 ? 4 : 2;
        cfg->v[3] = 1;
        cfg->v[4] = 1;
    }
    /* With few columns a second vector per work-item is mostly padding. */
    if (!gpu && cols < 4L * cfg->v[1] * cfg->v[2] && cfg->v[2] > 1) cfg->v[2] = 1;
    /* Within what the device takes: a small GPU's work-group may hold fewer than 64. */
    while (cfg->v[4] > 1 && ((size_t)cfg->v[4] > dev->max_work_item_sizes[1] ||
                             (size_t)cfg->v[3] * cfg->v[4] > dev->max_work_group_size))
        cfg->v[4] /= 2;
    while (cfg->v[3] > 1 && ((size_t)cfg->v[3] > dev->max_work_item_sizes[0] ||
                             (size_t)cfg->v[3] * cfg->v[4] > dev->max_work_group_size))
        cfg->v[3] /= 2;
}

bool clnn_tile_knobs_ok(const clnn_knob_config *cfg, const clnn_device_info *dev,
                        const char **why)
{
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

bool clnn_knobs_valid(clnn_conv_algo algo, const clnn_knob_config *cfg,
                      const clnn_conv_params *p, const clnn_device_info *dev, const char **why)
{
    (void)p;
    const clnn_conv_algo_def *d = clnn_conv_algo_of(algo);
    if (!d) {
        *why = "no knob table for this algorithm";
        return false;
    }
    const clnn_algo_knobs *t = &d->knobs;
    for (int i = 0; i < t->nknobs; i++) {
        bool listed = false;
        for (int j = 0; j < t->knobs[i].nvalues; j++)
            if (t->knobs[i].values[j] == cfg->v[i]) listed = true;
        if (!listed) {
            *why = "a knob has a value outside its table";
            return false;
        }
    }
    return d->knobs_ok(cfg, dev, why);
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

/* ---- the layer ------------------------------------------------------------------------------ */

clnn_status clnn_conv_upload_bias(clnn_conv *c, const float *bias)
{
    const float zero = 0.0f;
    return c->s.p.has_bias ? clnn_buffer_upload(c->ctx, c->dev, &c->bias, bias,
                                                (size_t)c->s.p.out_channels * sizeof(float), "bias")
                           : clnn_buffer_upload(c->ctx, c->dev, &c->bias, &zero, sizeof zero, "bias");
}

const char *clnn_conv_algo_name(clnn_conv_algo algo)
{
    if (algo == CLNN_CONV_ALGO_AUTO) return "auto";
    const clnn_conv_algo_def *impl = clnn_conv_algo_of(algo);
    return impl ? impl->name : "unknown";
}

#define LIMIT ((size_t)1 << 40) /* elements: far above any device, far below overflow */

clnn_status clnn_conv_shape_init(const clnn_context *ctx, const clnn_conv_params *params,
                                 conv_shape *s)
{
    if (!params)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "convolution parameters are NULL");
    memset(s, 0, sizeof *s);
    clnn_conv_params p = *params;
    if (p.stride_h == 0) p.stride_h = 1;
    if (p.stride_w == 0) p.stride_w = 1;
    if (p.dilation_h == 0) p.dilation_h = 1;
    if (p.dilation_w == 0) p.dilation_w = 1;
    if (p.groups == 0) p.groups = 1;

    struct {
        const char *name;
        int v;
        int min;
    } fields[] = {
        {"batch", p.batch, 1},           {"in_channels", p.in_channels, 1},
        {"in_height", p.in_height, 1},   {"in_width", p.in_width, 1},
        {"out_channels", p.out_channels, 1}, {"kernel_h", p.kernel_h, 1},
        {"kernel_w", p.kernel_w, 1},     {"stride_h", p.stride_h, 1},
        {"stride_w", p.stride_w, 1},     {"dilation_h", p.dilation_h, 1},
        {"dilation_w", p.dilation_w, 1}, {"groups", p.groups, 1},
        {"pad_top", p.pad_top, 0},       {"pad_left", p.pad_left, 0},
        {"pad_bottom", p.pad_bottom, 0}, {"pad_right", p.pad_right, 0},
    };
    for (size_t i = 0; i < CLNN_ARRAY_LEN(fields); i++) {
        if (fields[i].v < fields[i].min)
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "convolution: %s is %d but must be at least %d", fields[i].name,
                             fields[i].v, fields[i].min);
        if (fields[i].v > (1 << 24))
            return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                             "convolution: %s is %d, larger than clnn supports (%d)",
                             fields[i].name, fields[i].v, 1 << 24);
    }
    if (p.in_channels % p.groups != 0 || p.out_channels % p.groups != 0)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution: in_channels (%d) and out_channels (%d) must both be "
                         "divisible by groups (%d)",
                         p.in_channels, p.out_channels, p.groups);
    if ((unsigned)p.activation >= CLNN_ACTIVATION_COUNT)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution: unknown activation %d", (int)p.activation);
    if ((unsigned)p.residual > CLNN_RESIDUAL_AFTER_ACTIVATION)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution: unknown residual mode %d", (int)p.residual);
    /* Clip bounds may cross (ONNX then gives the upper bound everywhere); NaN ones are
     * meaningless. */
    if (p.activation == CLNN_ACTIVATION_CLIP && (isnan(p.act_alpha) || isnan(p.act_beta)))
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution: clip bounds %g and %g must be numbers",
                         (double)p.act_alpha, (double)p.act_beta);

    long long eff_h = (long long)p.dilation_h * (p.kernel_h - 1) + 1;
    long long eff_w = (long long)p.dilation_w * (p.kernel_w - 1) + 1;
    long long ph = (long long)p.in_height + p.pad_top + p.pad_bottom;
    long long pw = (long long)p.in_width + p.pad_left + p.pad_right;
    if (eff_h > ph || eff_w > pw)
        return clnn_fail(ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "convolution: the kernel (%lld x %lld with dilation) is larger than "
                         "the padded input (%lld x %lld)",
                         eff_h, eff_w, ph, pw);
    s->P = (int)((ph - eff_h) / p.stride_h + 1);
    s->Q = (int)((pw - eff_w) / p.stride_w + 1);
    s->Cg = p.in_channels / p.groups;
    s->Kg = p.out_channels / p.groups;
    size_t in = 1, out = 1, w = 1;
    bool ok = clnn_mul_checked(&in, p.batch, LIMIT) &&
              clnn_mul_checked(&in, p.in_channels, LIMIT) &&
              clnn_mul_checked(&in, p.in_height, LIMIT) &&
              clnn_mul_checked(&in, p.in_width, LIMIT) &&
              clnn_mul_checked(&out, p.batch, LIMIT) &&
              clnn_mul_checked(&out, p.out_channels, LIMIT) &&
              clnn_mul_checked(&out, s->P, LIMIT) && clnn_mul_checked(&out, s->Q, LIMIT) &&
              clnn_mul_checked(&w, p.out_channels, LIMIT) && clnn_mul_checked(&w, s->Cg, LIMIT) &&
              clnn_mul_checked(&w, p.kernel_h, LIMIT) && clnn_mul_checked(&w, p.kernel_w, LIMIT);
    if (!ok || in > INT_MAX || out > INT_MAX || w > INT_MAX)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution: a tensor of this layer has more than 2^31 elements");
    s->in_count = in;
    s->out_count = out;
    s->w_count = w;
    s->p = p;
    return CLNN_STATUS_OK;
}

clnn_status clnn_conv_output_size(const clnn_conv_params *params, int *out_h, int *out_w)
{
    conv_shape s;
    clnn_status st = clnn_conv_shape_init(NULL, params, &s);
    if (st != CLNN_STATUS_OK) return st;
    if (out_h) *out_h = s.P;
    if (out_w) *out_w = s.Q;
    return CLNN_STATUS_OK;
}

clnn_status clnn_conv_algo_check(const clnn_conv_params *params, clnn_conv_algo algo)
{
    conv_shape s;
    clnn_status st = clnn_conv_shape_init(NULL, params, &s);
    if (st != CLNN_STATUS_OK) return st;
    if (algo == CLNN_CONV_ALGO_AUTO) return CLNN_STATUS_OK;
    const clnn_conv_algo_def *impl = clnn_conv_algo_of(algo);
    if (!impl)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "unknown convolution algorithm %d",
                         (int)algo);
    const char *why = impl->check(&s);
    if (why)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "convolution algorithm %s does not apply to this layer: %s",
                         impl->name, why);
    return CLNN_STATUS_OK;
}

void clnn_conv_epilogue_options(const clnn_conv_params *p, clnn_strbuf *sb)
{
    char a[40], b[40];
    clnn_strbuf_printf(sb, " -DACT=%d -DACT_A=%s -DACT_B=%s -DRESIDUAL=%d -DHAS_BIAS=%d",
                       (int)p->activation, clnn_float_literal(p->act_alpha, a),
                       clnn_float_literal(p->act_beta, b), (int)p->residual, p->has_bias ? 1 : 0);
}

clnn_status clnn_conv_create_knobs(clnn_context *ctx, size_t device,
                                   const clnn_conv_params *params, clnn_conv_algo algo,
                                   const clnn_knob_config *cfg, const float *weights,
                                   const float *bias, clnn_conv **out)
{
    if (!out) return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "clnn_conv_create: conv is NULL");
    *out = NULL;
    clnn_device *dev = clnn_context_device(ctx, device);
    if (!dev) return CLNN_STATUS_INVALID_ARGUMENT;
    conv_shape s;
    clnn_status st = clnn_conv_shape_init(ctx, params, &s);
    if (st != CLNN_STATUS_OK) return st;
    if (!weights)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "convolution: weights are NULL");
    if (s.p.has_bias && !bias)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution: has_bias is set but bias is NULL");
    if (algo == CLNN_CONV_ALGO_AUTO) algo = clnn_conv_heuristic(&s, &dev->info);
    const clnn_conv_algo_def *impl = clnn_conv_algo_of(algo);
    if (!impl)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT, "unknown convolution algorithm %d",
                         (int)algo);
    const char *why = impl->check(&s);
    if (why)
        return clnn_fail(ctx, CLNN_STATUS_UNSUPPORTED,
                         "convolution algorithm %s does not apply to this layer: %s",
                         impl->name, why);

    clnn_conv *c = calloc(1, sizeof *c);
    if (!c) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_conv_create");
    c->ctx = ctx;
    c->dev = dev;
    c->s = s;
    c->algo = algo;
    if (cfg)
        c->knobs = *cfg;
    else
        clnn_knobs_default(algo, &s.p, &dev->info, &c->knobs);
    if (!clnn_knobs_valid(algo, &c->knobs, &s.p, &dev->info, &why)) {
        clnn_conv_destroy(c);
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "convolution %s: invalid knob setting: %s", impl->name, why);
    }
    char kd[128];
    clnn_knobs_describe(algo, &c->knobs, kd, sizeof kd);
    snprintf(c->config, sizeof c->config, "%s %s", impl->name, kd);
    st = impl->prepare(c, weights, bias);
    if (st != CLNN_STATUS_OK) {
        clnn_conv_destroy(c);
        return st;
    }
    *out = c;
    return CLNN_STATUS_OK;
}

/* AUTO takes the algorithm and knobs clnn_conv_choose gives (conv_select.c: the database's
 * entry under the margin rule); an explicit algorithm takes the database's knobs for it.
 * Without an entry (or a near one), the heuristic and the default knobs
 * (clnn_conv_create_knobs with no setting). */
clnn_status clnn_conv_create(clnn_context *ctx, size_t device, const clnn_conv_params *params,
                             clnn_conv_algo algo, const float *weights, const float *bias,
                             clnn_conv **conv)
{
    clnn_conv_algo use = algo;
    clnn_knob_config cfg;
    if (!conv || !weights || !clnn_conv_choose(ctx, device, params, &use, &cfg))
        return clnn_conv_create_knobs(ctx, device, params, algo, NULL, weights, bias, conv);
    clnn_status st = clnn_conv_create_knobs(ctx, device, params, use, &cfg, weights, bias, conv);
    if (st == CLNN_STATUS_BUILD_FAILED || st == CLNN_STATUS_OPENCL_ERROR) {
        /* The database's setting was checked on load, but a driver can still refuse it: the
         * defaults are the safe way on. */
        clnn_warn("tuned setting %s for a convolution failed (%s); using the defaults",
                  clnn_conv_algo_name(use), clnn_last_error());
        st = clnn_conv_create_knobs(ctx, device, params, algo, NULL, weights, bias, conv);
    }
    return st;
}

void clnn_conv_destroy(clnn_conv *c)
{
    if (!c) return;
    for (int i = 0; i < CLNN_CONV_MAX_KERNELS; i++)
        if (c->kernels[i]) clReleaseKernel(c->kernels[i]);
    clnn_buffer_release(&c->weights);
    clnn_buffer_release(&c->bias);
    clnn_buffer_release(&c->work[0]);
    clnn_buffer_release(&c->work[1]);
    clnn_staging_release(&c->staging);
    free(c);
}

clnn_conv_algo clnn_conv_algorithm(const clnn_conv *c) { return c ? c->algo : CLNN_CONV_ALGO_AUTO; }
const char *clnn_conv_config(const clnn_conv *c) { return c ? c->config : ""; }
size_t clnn_conv_input_count(const clnn_conv *c) { return c ? c->s.in_count : 0; }
size_t clnn_conv_output_count(const clnn_conv *c) { return c ? c->s.out_count : 0; }

clnn_status clnn_conv_enqueue(clnn_conv *c, cl_command_queue queue, cl_mem input,
                              cl_mem residual, cl_mem output, cl_uint num_wait,
                              const cl_event *wait, cl_event *done)
{
    if (!c) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_conv_enqueue: conv is NULL");
    if (num_wait && !wait)
        return clnn_fail(c->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_conv_enqueue: num_wait is %u but wait is NULL", num_wait);
    clnn_status st = clnn_check_mem(c->ctx, input, c->s.in_count * sizeof(float), "input");
    if (st == CLNN_STATUS_OK)
        st = clnn_check_mem(c->ctx, output, c->s.out_count * sizeof(float), "output");
    if (st == CLNN_STATUS_OK && c->s.p.residual != CLNN_RESIDUAL_NONE)
        st = clnn_check_mem(c->ctx, residual, c->s.out_count * sizeof(float), "residual");
    if (st == CLNN_STATUS_OK && c->s.p.residual == CLNN_RESIDUAL_NONE && residual)
        st = clnn_fail(c->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                       "a residual buffer was given but the layer has no residual add");
    if (st != CLNN_STATUS_OK) return st;
    return clnn_conv_enqueue_at(c, queue ? queue : c->dev->queue, input, residual, output, 0,
                                (int)(c->s.out_count / (size_t)c->s.p.batch), num_wait, wait,
                                done);
}

clnn_status clnn_conv_enqueue_at(clnn_conv *c, cl_command_queue q, cl_mem in, cl_mem res,
                                 cl_mem out, int out_off, int out_img_stride, cl_uint nw,
                                 const cl_event *w, cl_event *done)
{
    return clnn_conv_algo_of(c->algo)->enqueue(c, q, in, res, out, out_off, out_img_stride, nw, w, done);
}

static clnn_status staged_enqueue(void *op, cl_command_queue q, cl_mem *in, cl_mem out,
                                  cl_uint nw, const cl_event *w, cl_event *done)
{
    return clnn_conv_enqueue(op, q, in[0], in[1], out, nw, w, done);
}

clnn_status clnn_conv_run(clnn_conv *c, const float *input, size_t input_count,
                          const float *residual, size_t residual_count, float *output,
                          size_t output_count)
{
    if (!c) return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT, "clnn_conv_run: conv is NULL");
    if (!input || !output)
        return clnn_fail(c->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_conv_run: input and output must not be NULL");
    if (input_count != c->s.in_count)
        return clnn_fail(c->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "convolution input has %zu elements but the layer takes %zu "
                         "(%d x %d x %d x %d)",
                         input_count, c->s.in_count, c->s.p.batch, c->s.p.in_channels,
                         c->s.p.in_height, c->s.p.in_width);
    if (output_count != c->s.out_count)
        return clnn_fail(c->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "convolution output has room for %zu elements but the layer gives %zu "
                         "(%d x %d x %d x %d)",
                         output_count, c->s.out_count, c->s.p.batch, c->s.p.out_channels,
                         c->s.P, c->s.Q);
    bool want_res = c->s.p.residual != CLNN_RESIDUAL_NONE;
    if (want_res && (!residual || residual_count != c->s.out_count))
        return clnn_fail(c->ctx, CLNN_STATUS_SHAPE_MISMATCH,
                         "the residual must have the output's %zu elements (got %zu%s)",
                         c->s.out_count, residual ? residual_count : 0,
                         residual ? "" : ", NULL");
    if (!want_res && residual)
        return clnn_fail(c->ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "a residual was given but the layer has no residual add");
    const float *ins[2] = {input, residual};
    size_t counts[2] = {input_count, residual_count};
    return clnn_staged_run(c->ctx, c->dev, &c->staging, c, staged_enqueue, ins, counts, 2,
                           output, output_count);
}
