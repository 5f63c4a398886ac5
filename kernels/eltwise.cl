/*
 * eltwise.cl - elementwise layers of the session executor, NCHW float32 (any rank):
 * standalone activations, Add / Mul with numpy broadcasting and a fused activation, Where
 * broadcast across three inputs, Not / IsNaN / IsInf, and the copy of a Concat input into its
 * slice of the output. BOOL tensors are 0 / 1 floats here.
 *
 * Dimension 0 of every launch walks the innermost (contiguous) index, so PoCL vectorises
 * across neighbouring work-items and GPUs coalesce; outer indices come from launch
 * dimensions 1 and 2, not from loops or divisions inside a work-item (on PoCL a row loop in
 * the kernel costs 3x, a division per element a third: measured on Add, BatchNormalization).
 * The host launches with a local size along dimension 0 and rounds the global size up: every
 * kernel checks its bounds.
 *
 * Options set by the host (build-time choices, not tuning knobs):
 *   ACT         activation code of common.cl applied last (parameters are kernel arguments,
 *               so Clip's infinite bounds need no literal)
 *   BINARY_OP   the function of A and B (enum binop in lib/ops/layer_eltwise.c)
 *   A_INNER, B_INNER, C_INNER  1 if the operand steps along dimension 0, 0 if it repeats
 *               one value there (broadcast); baked in so the loads are contiguous or uniform
 *               (C: Where's condition)
 *   LOGIC_OP    logic_unary's function: 0 Not, 1 IsNaN, 2 IsInf
 *   NDIM        dimensions left after collapsing the broadcast (1..8)
 *   SPLIT_ROWS  rows folded into one index (below)
 */
#ifndef BINARY_OP
#define BINARY_OP 0
#endif
#ifndef A_INNER
#define A_INNER 1
#endif
#ifndef B_INNER
#define B_INNER 1
#endif
#ifndef C_INNER
#define C_INNER 1
#endif
#ifndef LOGIC_OP
#define LOGIC_OP 0
#endif

/* The binary function BINARY_OP; comparisons and logical ones give 1 or 0. */
inline float clnn_binary(float a, float b)
{
    switch (BINARY_OP) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return pow(a, b);
    case 5: return isnan(a) || a < b ? a : b;
    case 6: return isnan(a) || a > b ? a : b;
    case 7: return a < 0.0f ? a * b : a; /* PRelu */
    case 8: return a == b ? 1.0f : 0.0f;
    case 9: return a < b ? 1.0f : 0.0f;
    case 10: return a > b ? 1.0f : 0.0f;
    case 11: return a <= b ? 1.0f : 0.0f;
    case 12: return a >= b ? 1.0f : 0.0f;
    case 14: return fmod(a, b);
    case 15: return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
    case 16: return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
    case 17: return ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f;
    default: return NAN;
    }
}

/* Y = act(X) over n floats; X may be Y (in place: each work-item reads its element before
 * writing it). */
__kernel void act_forward(__global const float *X, __global float *Y, int n, float a, float b)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    Y[i] = clnn_activate(X[i], ACT, a, b);
}

/* Launch dimensions 1 and 2 hold rows. A GPU may cap them (NVIDIA's OpenCL at 65535
 * work-groups, CUDA's grid limit): with SPLIT_ROWS the host folds all rows into one index
 * r = id(1) + size(1) * id(2) and the kernel divides it back, which costs a division per
 * work-item, so it is only used where the rows do not fit. */
#ifndef SPLIT_ROWS
#define SPLIT_ROWS 0
#endif
#ifndef NDIM
#define NDIM 3
#endif

/* Dimension K of the collapsed shape (2 <= K < NDIM - 1) peeled off index r. */
#define BCAST_STEP(K)                                                                         \
    if (K < NDIM - 1) {                                                                       \
        const int q = r % shape.s##K;                                                         \
        r /= shape.s##K;                                                                      \
        ia += q * sa.s##K;                                                                    \
        ib += q * sb.s##K;                                                                    \
    }

/* Y = act(A op B) after broadcasting. The host collapses the shape to NDIM dimensions
 * (innermost first in the vector components, extent 1 beyond NDIM) with each operand's
 * strides in floats (0 where it is broadcast); Y is dense in that shape. Launch: dimension
 * 0 along collapsed dimension 0, dimension 1 along collapsed dimension 1, dimension 2 over
 * the rest (outer = their product), or the split form. */
__kernel void binary_nd(__global const float *A, __global const float *B, __global float *Y,
                        int8 shape, int8 sa, int8 sb, int outer, float act_a, float act_b)
{
    const int i0 = get_global_id(0);
#if SPLIT_ROWS
    const int row = get_global_id(1) + get_global_size(1) * get_global_id(2);
    if (i0 >= shape.s0 || row >= outer) return;
    const int i1 = row % shape.s1;
    int r = row / shape.s1;
#else
    const int i1 = get_global_id(1);
    int r = get_global_id(2);
    if (i0 >= shape.s0) return;
    const int row = r * shape.s1 + i1;
#endif
    int ia = (A_INNER ? i0 : 0) + i1 * sa.s1, ib = (B_INNER ? i0 : 0) + i1 * sb.s1;
    BCAST_STEP(2)
    BCAST_STEP(3)
    BCAST_STEP(4)
    BCAST_STEP(5)
    BCAST_STEP(6)
#if NDIM > 2
    /* The outermost collapsed dimension takes what is left of r. */
    ia += r * (NDIM == 3 ? sa.s2 : NDIM == 4 ? sa.s3 : NDIM == 5 ? sa.s4 : NDIM == 6 ? sa.s5
              : NDIM == 7 ? sa.s6 : sa.s7);
    ib += r * (NDIM == 3 ? sb.s2 : NDIM == 4 ? sb.s3 : NDIM == 5 ? sb.s4 : NDIM == 6 ? sb.s5
              : NDIM == 7 ? sb.s6 : sb.s7);
#endif
    const float v = clnn_binary(A[ia], B[ib]);
    Y[row * shape.s0 + i0] = clnn_activate(v, ACT, act_a, act_b);
}

/* Where: Y = C != 0 ? A : B, broadcast like binary_nd with a third operand (the condition)
 * walked in the same collapsed shape. The values are moved, never computed on. */
__kernel void where_nd(__global const float *C, __global const float *A,
                       __global const float *B, __global float *Y, int8 shape, int8 sc,
                       int8 sa, int8 sb, int outer)
{
    const int i0 = get_global_id(0);
#if SPLIT_ROWS
    const int row = get_global_id(1) + get_global_size(1) * get_global_id(2);
    if (i0 >= shape.s0 || row >= outer) return;
    const int i1 = row % shape.s1;
    int r = row / shape.s1;
#else
    const int i1 = get_global_id(1);
    int r = get_global_id(2);
    if (i0 >= shape.s0) return;
    const int row = r * shape.s1 + i1;
#endif
    int ic = (C_INNER ? i0 : 0) + i1 * sc.s1;
    int ia = (A_INNER ? i0 : 0) + i1 * sa.s1, ib = (B_INNER ? i0 : 0) + i1 * sb.s1;
#define WHERE_STEP(K)                                                                         \
    if (K < NDIM - 1) {                                                                       \
        const int q = r % shape.s##K;                                                         \
        r /= shape.s##K;                                                                      \
        ic += q * sc.s##K;                                                                    \
        ia += q * sa.s##K;                                                                    \
        ib += q * sb.s##K;                                                                    \
    }
    WHERE_STEP(2)
    WHERE_STEP(3)
    WHERE_STEP(4)
    WHERE_STEP(5)
    WHERE_STEP(6)
#undef WHERE_STEP
#if NDIM > 2
    ic += r * (NDIM == 3 ? sc.s2 : NDIM == 4 ? sc.s3 : NDIM == 5 ? sc.s4 : NDIM == 6 ? sc.s5
              : NDIM == 7 ? sc.s6 : sc.s7);
    ia += r * (NDIM == 3 ? sa.s2 : NDIM == 4 ? sa.s3 : NDIM == 5 ? sa.s4 : NDIM == 6 ? sa.s5
              : NDIM == 7 ? sa.s6 : sa.s7);
    ib += r * (NDIM == 3 ? sb.s2 : NDIM == 4 ? sb.s3 : NDIM == 5 ? sb.s4 : NDIM == 6 ? sb.s5
              : NDIM == 7 ? sb.s6 : sb.s7);
#endif
    Y[row * shape.s0 + i0] = C[ic] != 0.0f ? A[ia] : B[ib];
}

/* Not, IsNaN, IsInf (LOGIC_OP) over n floats, giving 1 or 0: Not reads BOOL as 0 / 1;
 * IsInf counts -inf when neg is set and +inf when pos is. */
__kernel void logic_unary(__global const float *X, __global float *Y, int n, int neg, int pos)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float x = X[i];
#if LOGIC_OP == 0
    Y[i] = x == 0.0f ? 1.0f : 0.0f;
#elif LOGIC_OP == 1
    Y[i] = isnan(x) ? 1.0f : 0.0f;
#else
    Y[i] = isinf(x) && (x < 0.0f ? neg : pos) ? 1.0f : 0.0f;
#endif
}

/* Copies one Concat input viewed as [outer, len] into columns [off, off + len) of the
 * output viewed as [outer, out_len]. Dimension 0 along len; the row is
 * id(1) + size(1) * id(2) (rows never need dividing here, so always the split form). */
__kernel void concat_copy(__global const float *X, __global float *Y, int len, int outer,
                          int out_len, int off)
{
    const int j = get_global_id(0);
    const int o = get_global_id(1) + get_global_size(1) * get_global_id(2);
    if (j >= len || o >= outer) return;
    Y[(size_t)o * out_len + off + j] = X[(size_t)o * len + j];
}
