/*
 * cost.c - the cost model: a node's work (FLOPs, bytes, launches) at its inferred shapes, and
 * its predicted time on a device from the roofline of the device's calibration:
 *     ms = max(flops / GFLOP/s, bytes / GB/s) + launches * launch cost
 * Convolutions count direct-convolution FLOPs and are measured against a convolution, so the
 * faster algorithms (Winograd, the 1x1 GEMM) are priced by what a direct layer achieves:
 * relative costs between devices, which is what placement needs, stay right. A Conv whose
 * exact shape and batch the device's tuning database measured is priced at that time.
 */
#include "sched.h"

#include "../tune/db.h"

#include <float.h>

static double count(const gtensor *t) { return (double)clnn_shape_count(t->dims, t->ndim); }

node_work clnn_node_work(const clnn_graph *g, const gnode *n)
{
    node_work w = {0, 0, 1};
    const gtensor *out = &g->tensors[n->outputs[0]];
    double out_n = count(out), in_n = 0;
    for (int i = 0; i < n->ninputs; i++)
        if (n->inputs[i] >= 0) in_n += count(&g->tensors[n->inputs[i]]);
    w.bytes = 4.0 * (in_n + out_n);
    switch (n->op) {
    case OP_CONV: {
        const gtensor *wt = &g->tensors[n->inputs[1]];
        /* K x Cg x R x S weights, each used once per output pixel and image. */
        double per_out = count(wt) / (double)wt->dims[0];
        w.flops = 2.0 * out_n * per_out;
        w.kernels = 3;
        if (n->fused.residual >= 0) w.bytes += 4.0 * out_n;
        break;
    }
    case OP_GEMM:
    case OP_MATMUL: {
        const gtensor *a = &g->tensors[n->inputs[0]];
        w.flops = 2.0 * out_n * (double)a->dims[1];
        w.kernels = 2;
        break;
    }
    case OP_MAX_POOL:
    case OP_AVERAGE_POOL:
        w.flops = out_n * n->a.kernel[0] * n->a.kernel[1];
        break;
    case OP_LRN:
        w.flops = out_n * (n->a.lrn_size + 8);
        break;
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_IDENTITY:
    case OP_DROPOUT:
        w.bytes = 0;
        w.kernels = 0;
        break;
    default:
        w.flops = out_n;
        break;
    }
    return w;
}

double clnn_predict_ms(clnn_context *ctx, size_t d, const clnn_calib *c, const clnn_graph *g,
                       const gnode *n)
{
    if (n->op == OP_CONV) {
        /* What the tuner measured for this very layer on this device beats any model. */
        clnn_conv_params p;
        double ms = clnn_node_conv_params(g, n, &p) == CLNN_STATUS_OK ? clnn_tune_conv_ms(ctx, d, &p)
                                                                       : -1;
        if (ms > 0) return ms;
    }
    node_work w = clnn_node_work(g, n);
    if (w.kernels == 0) return 0.0;
    double compute = w.flops / (c->gflops * 1e9);
    double memory = w.bytes / (c->gbps * 1e9);
    return 1e3 * (compute > memory ? compute : memory) + w.kernels * c->launch_us * 1e-3;
}

double clnn_transfer_ms(const clnn_calib *a, const clnn_calib *b, double bytes)
{
    return (a->d2h_us + b->h2d_us) * 1e-3 +
           1e3 * bytes * (1.0 / (a->d2h_gbps * 1e9) + 1.0 / (b->h2d_gbps * 1e9));
}
