/*
 * plan.c - the activation memory planner: offsets in one arena for storages with lifetimes
 * (lib/session/exec.c builds the lifetimes of each device's tensors and places them here).
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

size_t clnn_tensor_bytes(const gtensor *t)
{
    size_t n = (size_t)clnn_shape_count(t->dims, t->ndim);
    return (n ? n : 1) * sizeof(float);
}

/* Placed intervals are registered in every time bucket they span; a query gathers those of
 * the buckets its lifetime spans. */
#define BUCKET 64

typedef struct bucket {
    int *v, n, cap;
} bucket;

static int by_size(const void *a, const void *b, void *base)
{
    const clnn_plan_interval *iv = base;
    const clnn_plan_interval *x = &iv[*(const int *)a], *y = &iv[*(const int *)b];
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

static int by_offset(const void *a, const void *b, void *base)
{
    const clnn_plan_interval *iv = base;
    const clnn_plan_interval *x = &iv[*(const int *)a], *y = &iv[*(const int *)b];
    return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

clnn_status clnn_plan_offsets(clnn_plan_interval *iv, int n, size_t align, size_t *arena_bytes)
{
    *arena_bytes = 0;
    if (n == 0) return CLNN_STATUS_OK;
    int tmax = 0;
    for (int i = 0; i < n; i++) tmax = iv[i].last > tmax ? iv[i].last : tmax;
    const int nb = tmax / BUCKET + 1;
    int *order = malloc((size_t)n * sizeof *order), *near = malloc((size_t)n * sizeof *near);
    int *seen = malloc((size_t)n * sizeof *seen);
    bucket *b = calloc((size_t)nb, sizeof *b);
    clnn_status st = CLNN_STATUS_OK;
    if (!order || !near || !seen || !b) {
        st = CLNN_STATUS_OUT_OF_HOST_MEMORY;
        goto out;
    }
    for (int i = 0; i < n; i++) order[i] = i, seen[i] = -1;
    qsort_r(order, (size_t)n, sizeof *order, by_size, iv);
    for (int k = 0; k < n && st == CLNN_STATUS_OK; k++) {
        clnn_plan_interval *q = &iv[order[k]];
        /* The placed intervals alive during q, in offset order. */
        int nn = 0;
        for (int bi = q->first / BUCKET; bi <= q->last / BUCKET; bi++)
            for (int j = 0; j < b[bi].n; j++) {
                int p = b[bi].v[j];
                if (seen[p] == k) continue;
                seen[p] = k;
                if (iv[p].last >= q->first && iv[p].first <= q->last) near[nn++] = p;
            }
        qsort_r(near, (size_t)nn, sizeof *near, by_offset, iv);
        size_t off = 0;
        for (int j = 0; j < nn; j++) {
            const clnn_plan_interval *p = &iv[near[j]];
            if (off + q->bytes <= p->offset) break;
            size_t end = clnn_align_up(p->offset + p->bytes, align);
            if (end > off) off = end;
        }
        q->offset = off;
        if (off + q->bytes > *arena_bytes) *arena_bytes = off + q->bytes;
        for (int bi = q->first / BUCKET; bi <= q->last / BUCKET; bi++) {
            bucket *bk = &b[bi];
            if (bk->n == bk->cap) {
                int cap = bk->cap ? 2 * bk->cap : 8;
                int *v = realloc(bk->v, (size_t)cap * sizeof *v);
                if (!v) {
                    st = CLNN_STATUS_OUT_OF_HOST_MEMORY;
                    break;
                }
                bk->v = v;
                bk->cap = cap;
            }
            bk->v[bk->n++] = order[k];
        }
    }
out:
    for (int i = 0; b && i < nb; i++) free(b[i].v);
    free(b), free(order), free(near), free(seen);
    return st;
}
