/*
 * cost.c - the cost model: a node's work (FLOPs, bytes, launches: the hint its operator's
 * definition gives, lib/graph/op.h) at its inferred shapes, and
 * its predicted time on a device from the roofline of the device's calibration:
 *     ms = max(flops / GFLOP/s, bytes / GB/s) + launches * launch cost
 * Convolutions count direct-convolution FLOPs and are measured against a convolution, so the
 * faster algorithms (Winograd, the 1x1 GEMM) are priced by what a direct layer achieves:
 * relative costs between devices, which is what placement needs, stay right. A Conv whose
 * exact shape and batch the device's tuning database measured is priced at that time.
 */
#include "sched.h"

#include "../ops/layer.h"
#include "../ops/conv.h"

#include <float.h>

node_work clnn_node_work(const clnn_graph *g, const gnode *n)
{
    const clnn_op_def *def = clnn_op_def_of(n->op);
    return def->work ? def->work(g, n) : op_io_work(g, n);
}

static double predict_raw(clnn_context *ctx, size_t d, const clnn_calib *c, const clnn_graph *g,
                       const gnode *n)
{
    if (n->op == OP_CONV) {
        /* What the tuner measured for this very layer on this device beats any model. */
        clnn_conv_params p;
        double ms = clnn_node_conv_params(g, n, &p) == CLNN_STATUS_OK ? clnn_conv_predicted_ms(ctx, d, &p)
                                                                       : -1;
        if (ms > 0) return ms;
    }
    node_work w = clnn_node_work(g, n);
    if (w.kernels == 0) return 0.0;
    double compute = w.flops / (c->gflops * 1e9);
    double memory = w.bytes / (c->gbps * 1e9);
    return 1e3 * (compute > memory ? compute : memory) + w.kernels * c->launch_us * 1e-3;
}

double clnn_predict_ms(clnn_context *ctx, size_t d, const clnn_calib *c, const clnn_graph *g,
                       const gnode *n)
{
    double ms = predict_raw(ctx, d, c, g, n);
    /* What whole sessions measured on this device against their prediction (policy.c's plan
     * check) corrects every later prediction. */
    pthread_mutex_lock(&ctx->lock);
    const double scale = ctx->devices[d].cost_scale;
    pthread_mutex_unlock(&ctx->lock);
    return scale > 0 ? ms * scale : ms;
}

double clnn_transfer_ms(const clnn_calib *a, const clnn_calib *b, double bytes)
{
    return (a->d2h_us + b->h2d_us) * 1e-3 +
           1e3 * bytes * (1.0 / (a->d2h_gbps * 1e9) + 1.0 / (b->h2d_gbps * 1e9));
}
