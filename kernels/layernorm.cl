/*
 * layernorm.cl - normalisation over contiguous rows (LayerNormalization, InstanceNormalization,
 * GroupNormalization), float32. The host views the input as [rows, L]: LayerNormalization's
 * rows are the positions before `axis` and L the product of the dimensions from it,
 * InstanceNormalization's rows are (image, channel) and L the spatial size, GroupNormalization's
 * rows (image, group) and L the group's channels times the spatial size. Every row is
 * contiguous.
 *
 * One work-group of WG items (a power of two) per row: strided partial sums reduced in local
 * memory as a tree, first the mean, then the sum of squared deviations from it (two passes
 * over the row: no cancellation of E[x^2] - E[x]^2), then the output. Every read of a row by a
 * work-item happens before the barriers of the reductions and so before any write: X may be
 * Y. P holds the parameters the host prepared, scale[np] then bias[np]: with rmod == 0 one per
 * element of the row (LayerNormalization, scale broadcast to L on the host), else one per row
 * index modulo rmod (the channel or the group).
 *
 * Options: WG, STAT (0: Y; 1: the row means; 2: the rows' 1 / sqrt(var + epsilon), one float
 * per row: LayerNormalization's Mean and InvStdDev outputs) and LOOP_SYNC (softmax.cl: a
 * barrier per iteration of the uniform loops makes PoCL vectorise across work-items).
 */
#ifndef WG
#define WG 64
#endif
#ifndef STAT
#define STAT 0
#endif
#ifndef LOOP_SYNC
#define LOOP_SYNC 0
#endif

#if LOOP_SYNC
#define LOOP_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#else
#define LOOP_BARRIER()
#endif

/* The sum over the work-group of every item's v (all items must call it). */
inline float rn_group_sum(__local float *part, float v)
{
    const int lid = get_local_id(0);
    part[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] += part[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = part[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* everyone has read it before part is reused */
    return r;
}

/* Launched as rows work-groups of WG items along dimension 0 (no grid limit there). */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void
rownorm(__global const float *X, __global float *Y, __global const float *P, int L, int rmod,
        int np, float eps)
{
    __local float part[WG];
    const int lid = get_local_id(0);
    const int r = get_group_id(0);
    const __global float *x = X + (size_t)r * L;
    float s = 0.0f;
    for (int b = 0; b < L; b += WG) {
        if (b + lid < L) s += x[b + lid];
        LOOP_BARRIER();
    }
    const float mean = rn_group_sum(part, s) / (float)L;
    float q = 0.0f;
    for (int b = 0; b < L; b += WG) {
        if (b + lid < L) {
            const float d = x[b + lid] - mean;
            q = fma(d, d, q);
        }
        LOOP_BARRIER();
    }
    const float inv = 1.0f / sqrt(rn_group_sum(part, q) / (float)L + eps);
#if STAT == 1
    if (lid == 0) Y[r] = mean;
#elif STAT == 2
    if (lid == 0) Y[r] = inv;
#else
    __global float *y = Y + (size_t)r * L;
    if (rmod > 0) {
        const int p = r % rmod;
        const float k = P[p] * inv, t = P[np + p];
        for (int b = 0; b < L; b += WG) {
            if (b + lid < L) y[b + lid] = fma(x[b + lid] - mean, k, t);
            LOOP_BARRIER();
        }
    } else {
        for (int b = 0; b < L; b += WG) {
            const int l = b + lid;
            if (l < L) y[l] = fma((x[l] - mean) * inv, P[l], P[np + l]);
            LOOP_BARRIER();
        }
    }
#endif
}
