/*
 * softmax.cl - numerically stable softmax and log-softmax (the maximum is subtracted before
 * exp) over one axis of a tensor viewed as [outer, L, inner], float32.
 *
 *  softmax_rows     inner == 1 and long rows (classifiers, [N, 1000]): one work-group of SWG
 *                   items per row, strided partial results reduced in local memory.
 *  softmax_strided  anything else (softmax over channels of a feature map, short rows): one
 *                   work-item per (outer, inner) position, dimension 0 along the inner index
 *                   so neighbouring work-items read neighbouring floats.
 *
 * Softmax writes exp(x - max) to Y on the way and scales it by 1 / sum afterwards; each
 * work-item rereads only what it wrote itself, and every read of X for a position happens
 * before the first write of it, so X may be Y. Log-softmax (LOG_SOFTMAX 1) writes only at
 * the end, x - max - log(sum), each element read just before it is written.
 */
#ifndef LOG_SOFTMAX
#define LOG_SOFTMAX 0 // 1: log(softmax(x))
#endif
#ifndef SWG
#define SWG 64 // work-items per row in softmax_rows (a power of two)
#endif
#ifndef LOOP_SYNC
#define LOOP_SYNC 0 // 1: a barrier per loop iteration, so PoCL vectorises across work-items
#endif

/* PoCL vectorises the loop over a work-group's items only where it is innermost: a barrier
 * in the body of a uniform loop puts that loop inside (2x on softmax over channels). GPUs run
 * work-items in lockstep anyway and take LOOP_SYNC 0. */
#if LOOP_SYNC
#define LOOP_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#else
#define LOOP_BARRIER()
#endif

__kernel __attribute__((reqd_work_group_size(SWG, 1, 1))) void
softmax_rows(__global const float *X, __global float *Y, int L)
{
    __local float part[SWG];
    const int lid = get_local_id(0);
    const size_t base = (size_t)get_group_id(0) * L;
    const __global float *x = X + base;
    __global float *y = Y + base;
    float m = -INFINITY;
    for (int b = 0; b < L; b += SWG) {
        if (b + lid < L) m = fmax(m, x[b + lid]);
        LOOP_BARRIER();
    }
    part[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = SWG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] = fmax(part[lid], part[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    m = part[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* everyone has read the maximum before part is reused */
    float sum = 0.0f;
    for (int b = 0; b < L; b += SWG) {
        if (b + lid < L) {
            const float e = exp(x[b + lid] - m);
            if (!LOG_SOFTMAX) y[b + lid] = e;
            sum += e;
        }
        LOOP_BARRIER();
    }
    part[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = SWG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] += part[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = 1.0f / part[0], shift = m + log(part[0]);
    for (int b = 0; b < L; b += SWG) {
        if (b + lid < L) y[b + lid] = LOG_SOFTMAX ? x[b + lid] - shift : y[b + lid] * r;
        LOOP_BARRIER();
    }
}

/* positions = outer * inner work-items; element l of position p lies at
 * (p / inner) * L * inner + p % inner + l * inner. With LOOP_SYNC every work-item of the
 * group runs the loops (the barriers need them all); those past the end read the last
 * position and write nothing. */
__kernel void softmax_strided(__global const float *X, __global float *Y, int L, int inner,
                              int positions)
{
    const int p0 = get_global_id(0);
    const bool live = p0 < positions;
#if !LOOP_SYNC
    if (!live) return;
#endif
    const int p = live ? p0 : positions - 1;
    const int o = p / inner, i = p - o * inner;
    const size_t base = (size_t)o * L * inner + i;
    const __global float *x = X + base;
    __global float *y = Y + base;
    float m = -INFINITY;
    for (int l = 0; l < L; l++) {
        m = fmax(m, x[(size_t)l * inner]);
        LOOP_BARRIER();
    }
    float sum = 0.0f;
    for (int l = 0; l < L; l++) {
        const float e = exp(x[(size_t)l * inner] - m);
        if (live && !LOG_SOFTMAX) y[(size_t)l * inner] = e;
        sum += e;
        LOOP_BARRIER();
    }
    const float r = 1.0f / sum, shift = m + log(sum);
    for (int l = 0; l < L; l++) {
        const size_t k = (size_t)l * inner;
        if (live) y[k] = LOG_SOFTMAX ? x[k] - shift : y[k] * r;
        LOOP_BARRIER();
    }
}
