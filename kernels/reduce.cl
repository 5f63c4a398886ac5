/*
 * reduce.cl - ONNX reductions of a float32 tensor over any set of axes: ReduceSum, Mean, Max,
 * Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp, and ArgMax / ArgMin (the index written as
 * an exact float).
 *
 * The host (lib/ops/reduce.c) drops size-1 dimensions and merges adjacent dimensions that are
 * both reduced or both kept, so that any axes set becomes at most four kept runs and four
 * reduced runs (they alternate in at most 8 dimensions), passed as int4 sizes and strides in
 * floats; component 3 is the innermost run, unused leading runs have size 1 and stride 0.
 * Output element o is row-major over the kept runs, reduced element r row-major over the
 * reduced runs (for ArgMax / ArgMin: the index along the axis). R (the reduced count) may be
 * 0: the result is then the reduction of the empty set (0, 1, -inf, +inf...).
 *
 *  reduce_loop   one work-item per output element, the innermost reduced run walked
 *                directly (short reductions; and many outputs whose innermost dimension is
 *                kept, where neighbouring work-items read neighbouring floats).
 *  reduce_group  one work-group of WG items (a power of two) per output element, each item
 *                striding over the reduced elements, partial results combined by a tree in
 *                local memory (long reductions: GlobalAveragePool-like means over H*W).
 *
 * Max / Min propagate NaN (as numpy); LogSumExp subtracts the maximum before exp. ArgMax and
 * ArgMin take the first (LAST 0) or last (LAST 1) index of the extreme value, a NaN counting
 * as the extreme.
 */
#ifndef OP
#define OP 0 // a red_kind of lib/ops/reduce.c
#endif
#ifndef WG
#define WG 64 // work-items per output in reduce_group
#endif
#ifndef LAST
#define LAST 0 // ArgMax / ArgMin: 1 takes the last index of equal extremes
#endif

#define OP_SUM 0
#define OP_MEAN 1
#define OP_MAX 2
#define OP_MIN 3
#define OP_PROD 4
#define OP_L1 5
#define OP_L2 6
#define OP_SUMSQ 7
#define OP_LOGSUM 8
#define OP_LOGSUMEXP 9
#define OP_ARGMAX 10
#define OP_ARGMIN 11

#define IS_ARG (OP == OP_ARGMAX || OP == OP_ARGMIN)

/* Offset of element i of a row-major index space over four runs (sizes d, strides s). Runs
 * of size 1 (unused) are skipped: the branches are uniform across work-items. */
inline int run_offset(int i, int4 d, int4 s)
{
    int off = 0;
    if (d.s3 > 1) {
        off += (i % d.s3) * s.s3;
        i /= d.s3;
    }
    if (d.s2 > 1) {
        off += (i % d.s2) * s.s2;
        i /= d.s2;
    }
    if (d.s1 > 1) {
        off += (i % d.s1) * s.s1;
        i /= d.s1;
    }
    return off + i * s.s0;
}

/* The same over runs 0..2 only (run 3 is walked by the caller). */
inline int outer_offset(int i, int4 d, int4 s)
{
    int off = 0;
    if (d.s2 > 1) {
        off += (i % d.s2) * s.s2;
        i /= d.s2;
    }
    if (d.s1 > 1) {
        off += (i % d.s1) * s.s1;
        i /= d.s1;
    }
    return off + i * s.s0;
}

#if OP == OP_MAX
#define INIT (-INFINITY)
#elif OP == OP_MIN
#define INIT INFINITY
#elif OP == OP_PROD
#define INIT 1.0f
#else
#define INIT 0.0f
#endif

/* Combines an accumulator with a value (an element after elem(), or a partial result). */
inline float comb(float a, float v)
{
#if OP == OP_MAX
    return v > a || isnan(v) ? v : a; /* once a is NaN it stays */
#elif OP == OP_MIN
    return v < a || isnan(v) ? v : a;
#elif OP == OP_PROD
    return a * v;
#else
    return a + v;
#endif
}

/* The maximum of LogSumExp's first pass (NaN-propagating). */
inline float comb_max(float a, float v) { return v > a || isnan(v) ? v : a; }

/* What an element contributes (m: LogSumExp's maximum). */
inline float elem(float x, float m)
{
#if OP == OP_L1
    return fabs(x);
#elif OP == OP_L2 || OP == OP_SUMSQ
    return x * x;
#elif OP == OP_LOGSUMEXP
    return exp(x - m);
#else
    (void)m;
    return x;
#endif
}

inline float final_value(float a, int R, float m)
{
#if OP == OP_MEAN
    return a / (float)R;
#elif OP == OP_L2
    return sqrt(a);
#elif OP == OP_LOGSUM
    return log(a);
#elif OP == OP_LOGSUMEXP
    /* An infinite or NaN maximum is the result (all -inf: log(0)); so is R == 0. */
    return isfinite(m) ? m + log(a) : m;
#else
    (void)R, (void)m;
    return a;
#endif
}

#if IS_ARG
/* Whether (x, ix) replaces the best so far (b, ib); an index < 0 is an empty candidate. */
inline bool takes(float x, int ix, float b, int ib)
{
    if (ix < 0) return false;
    if (ib < 0) return true;
    const bool xn = isnan(x), bn = isnan(b);
    if (xn || bn) return xn && bn ? (LAST ? ix > ib : ix < ib) : xn;
    if (x == b) return LAST ? ix > ib : ix < ib;
#if OP == OP_ARGMAX
    return x > b;
#else
    return x < b;
#endif
}
#endif

__kernel void reduce_loop(__global const float *X, __global float *Y, int nout, int R, int4 kd,
                          int4 ks, int4 rd, int4 rs)
{
    const int o = get_global_id(0);
    if (o >= nout) return;
    const __global float *x = X + run_offset(o, kd, ks);
    const int inner = rd.s3, nq = R / rd.s3, si = rs.s3;
#if IS_ARG
    float best = 0.0f;
    int bi = -1;
    for (int q = 0; q < nq; q++) {
        const __global float *p = x + outer_offset(q, rd, rs);
        for (int j = 0; j < inner; j++) {
            const float v = p[j * si];
            const int r = q * inner + j;
            if (takes(v, r, best, bi)) best = v, bi = r;
        }
    }
    Y[o] = (float)(bi < 0 ? 0 : bi);
#else
    float m = 0.0f;
#if OP == OP_LOGSUMEXP
    m = -INFINITY;
    for (int q = 0; q < nq; q++) {
        const __global float *p = x + outer_offset(q, rd, rs);
        for (int j = 0; j < inner; j++) m = comb_max(m, p[j * si]);
    }
    if (!isfinite(m)) {
        Y[o] = m;
        return;
    }
#endif
    float a = INIT;
    for (int q = 0; q < nq; q++) {
        const __global float *p = x + outer_offset(q, rd, rs);
        for (int j = 0; j < inner; j++) a = comb(a, elem(p[j * si], m));
    }
    Y[o] = final_value(a, R, m);
#endif
}

/* Global size nout * WG exactly: group g computes output g. Every work-item reaches every
 * barrier (the loops over r only skip loads). */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void
reduce_group(__global const float *X, __global float *Y, int nout, int R, int4 kd, int4 ks,
             int4 rd, int4 rs)
{
    __local float part[WG];
    const int lid = get_local_id(0);
    const int o = get_group_id(0);
    const __global float *x = X + run_offset(o, kd, ks);
#if IS_ARG
    __local int pidx[WG];
    float best = 0.0f;
    int bi = -1;
    for (int r = lid; r < R; r += WG) {
        const float v = x[run_offset(r, rd, rs)];
        if (takes(v, r, best, bi)) best = v, bi = r;
    }
    part[lid] = best;
    pidx[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s && takes(part[lid + s], pidx[lid + s], part[lid], pidx[lid])) {
            part[lid] = part[lid + s];
            pidx[lid] = pidx[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0 && o < nout) Y[o] = (float)(pidx[0] < 0 ? 0 : pidx[0]);
#else
    float m = 0.0f;
#if OP == OP_LOGSUMEXP
    m = -INFINITY;
    for (int r = lid; r < R; r += WG) m = comb_max(m, x[run_offset(r, rd, rs)]);
    part[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] = comb_max(part[lid], part[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = part[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* every item has read the maximum before part is reused */
#endif
    float a = INIT;
#if OP == OP_LOGSUMEXP
    if (isfinite(m)) /* uniform: m is the group's */
#endif
        for (int r = lid; r < R; r += WG) a = comb(a, elem(x[run_offset(r, rd, rs)], m));
    part[lid] = a;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] = comb(part[lid], part[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0 && o < nout) Y[o] = final_value(part[0], R, m);
#endif
}
