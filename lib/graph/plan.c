/*
 * plan.c - the activation memory plan of a session: which tensors share storage and where
 * each lives in one arena.
 *
 *  - Flatten and Reshape outputs are views of their input's storage.
 *  - An input of a channel Concat (axis 1) whose producer can write a strided slice, which
 *    nothing else reads, is written straight into the Concat's output (no copy).
 *  - Every other computed tensor gets a storage; storages whose lifetimes (first write to
 *    last read, in execution order; graph outputs live to the end) do not overlap may share
 *    bytes. Offsets are chosen greedily, largest storage first, at the lowest aligned offset
 *    free for its whole lifetime.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

typedef struct storage {
    size_t bytes;
    int first, last; /* positions in the execution order */
    size_t offset;
    bool placed;
} storage;

static int storage_of(clnn_plan *p, int t)
{
    return p->tensors[t].root < 0 ? -1 : p->tensors[p->tensors[t].root].storage;
}

static bool producer_writes_slices(const clnn_graph *g, int t,
                                   bool (*strided)(clnn_op op))
{
    int pr = g->tensors[t].producer;
    return pr >= 0 && strided(g->nodes[pr].op);
}

/* Marks Concat inputs that can be written in place. */
static void plan_concats(const clnn_graph *g, clnn_plan *p, const int *order, int n,
                         const int *readers, bool (*strided)(clnn_op op))
{
    for (int oi = 0; oi < n; oi++) {
        const gnode *c = &g->nodes[order[oi]];
        if (c->op != OP_CONCAT || c->a.axis != 1) continue;
        const gtensor *out = &g->tensors[c->outputs[0]];
        if (out->ndim < 2) continue;
        int64_t inner = clnn_shape_count(out->dims + 2, out->ndim - 2);
        int64_t ch = 0;
        for (int k = 0; k < c->ninputs; k++) {
            int t = c->inputs[k];
            const gtensor *x = &g->tensors[t];
            bool dup = false;
            for (int j = 0; j < c->ninputs; j++)
                if (j != k && c->inputs[j] == t) dup = true;
            if (!dup && readers[t] == 1 && !x->is_output && !x->is_input && !x->data &&
                producer_writes_slices(g, t, strided) && p->tensors[t].root == t) {
                p->tensors[t].in_concat = c->outputs[0];
                p->tensors[t].off = ch * inner;
                p->tensors[t].img_stride = out->dims[1] * inner;
            }
            ch += x->dims[1];
        }
    }
}

clnn_status clnn_plan_build(const clnn_graph *g, const int *order, int n, size_t align,
                            bool (*strided)(clnn_op op), clnn_plan *p)
{
    memset(p, 0, sizeof *p);
    p->ntensors = g->ntensors;
    p->tensors = calloc((size_t)g->ntensors, sizeof *p->tensors);
    int *readers = calloc((size_t)g->ntensors, sizeof *readers);
    int *last_read = malloc((size_t)g->ntensors * sizeof *last_read);
    storage *st = calloc((size_t)g->ntensors, sizeof *st);
    int *position = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *position);
    if (!p->tensors || !readers || !last_read || !st || !position) {
        free(readers), free(last_read), free(st), free(position);
        clnn_plan_free(p);
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "memory plan");
    }
    for (int i = 0; i < g->nnodes; i++) position[i] = 0;
    for (int oi = 0; oi < n; oi++) position[order[oi]] = oi;
    for (int t = 0; t < g->ntensors; t++) {
        p->tensors[t].root = -1;
        p->tensors[t].storage = -1;
        p->tensors[t].in_concat = -1;
        last_read[t] = -1;
    }
    /* Roots: computed tensors own storage, views point at their input's root. */
    for (int oi = 0; oi < n; oi++) {
        const gnode *nd = &g->nodes[order[oi]];
        for (int k = 0; k < nd->ninputs; k++)
            if (nd->inputs[k] >= 0) readers[nd->inputs[k]]++, last_read[nd->inputs[k]] = oi;
        if (nd->fused.residual >= 0)
            readers[nd->fused.residual]++, last_read[nd->fused.residual] = oi;
        int t = nd->outputs[0];
        if (nd->op == OP_FLATTEN || nd->op == OP_RESHAPE) {
            int src = nd->inputs[0];
            p->tensors[t].root = p->tensors[src].root >= 0 ? p->tensors[src].root : src;
            p->tensors[t].is_view = true;
        } else {
            p->tensors[t].root = t;
        }
    }
    for (int i = 0; i < g->ninputs; i++) p->tensors[g->inputs[i]].root = g->inputs[i];
    plan_concats(g, p, order, n, readers, strided);

    /* Lifetimes of the storages (graph inputs and constants are kept out of the arena). */
    int nst = 0;
    for (int oi = 0; oi < n; oi++) {
        int t = g->nodes[order[oi]].outputs[0];
        if (p->tensors[t].root != t || p->tensors[t].in_concat >= 0) continue;
        p->tensors[t].storage = nst;
        st[nst].bytes = clnn_tensor_bytes(&g->tensors[t]);
        st[nst].first = oi;
        st[nst].last = oi;
        p->naive_bytes += st[nst].bytes;
        nst++;
    }
    for (int t = 0; t < g->ntensors; t++) {
        if (p->tensors[t].in_concat >= 0) {
            /* Written when its producer runs, before the Concat: the Concat's storage lives
             * from then on. */
            p->naive_bytes += clnn_tensor_bytes(&g->tensors[t]);
            int s = p->tensors[p->tensors[t].in_concat].storage;
            int pos = position[g->tensors[t].producer];
            if (s >= 0 && pos < st[s].first) st[s].first = pos;
        }
        int root = p->tensors[t].root;
        if (root < 0) continue;
        if (p->tensors[root].in_concat >= 0) root = p->tensors[root].in_concat;
        int s = p->tensors[root].storage;
        if (s < 0) continue;
        int last = g->tensors[t].is_output ? n : last_read[t];
        if (last > st[s].last) st[s].last = last;
    }
    for (int i = 0; i < g->noutputs; i++) {
        int s = storage_of(p, g->outputs[i]);
        if (s >= 0) st[s].last = n;
    }

    /* Greedy placement, largest first. */
    for (int done = 0; done < nst; done++) {
        int best = -1;
        for (int s = 0; s < nst; s++)
            if (!st[s].placed && (best < 0 || st[s].bytes > st[best].bytes)) best = s;
        size_t off = 0;
        for (bool moved = true; moved;) {
            moved = false;
            for (int s = 0; s < nst; s++) {
                if (!st[s].placed || st[s].last < st[best].first || st[s].first > st[best].last)
                    continue;
                if (off < st[s].offset + st[s].bytes && st[s].offset < off + st[best].bytes) {
                    off = clnn_align_up(st[s].offset + st[s].bytes, align);
                    moved = true;
                }
            }
        }
        st[best].offset = off;
        st[best].placed = true;
        if (off + st[best].bytes > p->arena_bytes) p->arena_bytes = off + st[best].bytes;
    }
    p->nstorages = nst;
    p->storage_offset = malloc((size_t)(nst ? nst : 1) * sizeof *p->storage_offset);
    p->storage_bytes = malloc((size_t)(nst ? nst : 1) * sizeof *p->storage_bytes);
    if (!p->storage_offset || !p->storage_bytes) {
        free(readers), free(last_read), free(st), free(position);
        clnn_plan_free(p);
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "memory plan");
    }
    for (int s = 0; s < nst; s++) {
        p->storage_offset[s] = st[s].offset;
        p->storage_bytes[s] = st[s].bytes;
    }
    free(readers), free(last_read), free(st), free(position);
    return CLNN_STATUS_OK;
}

void clnn_plan_free(clnn_plan *p)
{
    free(p->tensors);
    free(p->storage_offset);
    free(p->storage_bytes);
    memset(p, 0, sizeof *p);
}

size_t clnn_tensor_bytes(const gtensor *t)
{
    size_t n = (size_t)clnn_shape_count(t->dims, t->ndim);
    return (n ? n : 1) * sizeof(float);
}
