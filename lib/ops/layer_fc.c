/*
 * layer_fc.c - the Gemm and MatMul operators on CLBlast: CLBlastSgemm, or CLBlastSgemv for a
 * single row when it measures faster on the device (timed once per shape and remembered in the
 * context); bias and the fused activation in kernels/fc.cl. For up to 8 rows clnn's own GEMV
 * (kernels/fc.cl, both layouts of B, the epilogue fused, one launch) competes with them: the
 * fastest of the three, timed once through the whole enqueue, runs (CLNN_FC forces one). N-D
 * MatMul broadcasts the batch dimensions numpy-style: when B has no batch (a [K,N] weight) the
 * rows of every batch of A are one GEMM of prod(batch)*M rows; otherwise CLBlastSgemmBatched
 * runs one product per output batch with the offsets of the broadcast operands. CLBlast's
 * status codes become CLNN_STATUS_CLBLAST_ERROR with CLBlast's name for them. CLBlast's kernels
 * run with the parameters of the device's tuning database when it has some (lib/tune/db.c).
 */
#include "layer.h"

#include "../tune/clblast.h"
#include "../tune/db.h"

#include <clblast_c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Gemm's attributes; MatMul is the same with the defaults (alpha 1, no C). */
typedef struct gemm_attrs {
    float alpha, beta;
    int trans_a, trans_b;
} gemm_attrs;

/* The products a Gemm or MatMul node computes: `batch` products of M x K by K x N (rows of
 * A flattened into one product when B has no batch), with per-batch element offsets. */
typedef struct mm_geom {
    int M, N, K, batch;
    bool flat; /* B is one [K,N] matrix: batch * M rows in one product */
} mm_geom;

/* MatMul's operand shapes promoted per ONNX: 1-D A is [1,K], 1-D B is [K,1]. */
static void mm_promote(const gtensor *t, bool is_b, int64_t *d, int *nd)
{
    if (t->ndim == 1) {
        d[0] = is_b ? t->dims[0] : 1;
        d[1] = is_b ? 1 : t->dims[0];
        *nd = 2;
    } else {
        memcpy(d, t->dims, sizeof(int64_t) * (size_t)t->ndim);
        *nd = t->ndim;
    }
}

/* Output batch index -> offset (in matrices) into an operand of batch dims bd[nb] right-aligned
 * with the output's od[no], broadcasting dims of 1. */
static size_t mm_batch_index(size_t idx, const int64_t *od, int no, const int64_t *bd, int nb)
{
    size_t off = 0, mul = 1;
    for (int i = no - 1, j = nb - 1; i >= 0; i--, j--) {
        size_t c = idx % (size_t)od[i];
        idx /= (size_t)od[i];
        if (j >= 0) {
            if (bd[j] != 1) off += c * mul;
            mul *= (size_t)bd[j];
        }
    }
    return off;
}

/* The geometry of a node with inferred shapes; offs (3 * batch, may be NULL): offsets in
 * floats of A, B and Y for each product. */
static void mm_geometry(const clnn_graph *g, const gnode *n, mm_geom *m, size_t *offs)
{
    const gtensor *a = op_in(g, n, 0), *b = op_in(g, n, 1), *y = op_out(g, n, 0);
    const gemm_attrs *ga = OP_A(n, gemm_attrs);
    int64_t ad[CLNN_MAX_DIMS], bd[CLNN_MAX_DIMS];
    int na, nb;
    mm_promote(a, false, ad, &na);
    mm_promote(b, true, bd, &nb);
    m->M = (int)ad[na - (ga->trans_a ? 1 : 2)];
    m->K = (int)ad[na - (ga->trans_a ? 2 : 1)];
    m->N = (int)bd[nb - (ga->trans_b ? 2 : 1)];
    int64_t od[CLNN_MAX_DIMS];
    int no = 0;
    size_t batch = 1, bbatch = 1;
    for (int i = 0; i < nb - 2; i++) bbatch *= (size_t)bd[i];
    /* The output's batch dims: y's leading dims less the M and N axes that survived. */
    int keep = (a->ndim == 1 ? 0 : 1) + (b->ndim == 1 ? 0 : 1);
    for (int i = 0; i < y->ndim - keep; i++) {
        od[no++] = y->dims[i];
        batch *= (size_t)y->dims[i];
    }
    m->flat = bbatch == 1 && !ga->trans_a;
    m->batch = m->flat ? 1 : (int)batch;
    if (m->flat) m->M *= (int)batch;
    if (!offs) return;
    for (size_t i = 0; i < (size_t)m->batch; i++) {
        offs[3 * i] = mm_batch_index(i, od, no, ad, na - 2) * (size_t)m->M * m->K;
        offs[3 * i + 1] = mm_batch_index(i, od, no, bd, nb - 2) * (size_t)m->K * m->N;
        offs[3 * i + 2] = i * (size_t)m->M * m->N;
    }
}

/* How a layer computes its product. */
typedef enum fc_path { FC_GEMM, FC_CLBLAST_GEMV, FC_CLNN_GEMV, FC_NPATHS } fc_path;
static const char *const fc_path_names[FC_NPATHS] = {"gemm", "clblast-gemv", "clnn-gemv"};
#define FC_GEMV_ROWS 8 /* the most rows clnn's GEMV takes */
#define FC_GEMV_LOCAL 16

typedef struct fc_state {
    clnn_context *ctx;
    clnn_device *dev;
    const char *node;
    int M, N, K;
    bool trans_a, trans_b;
    float alpha, beta;
    bool has_c, epilogue;
    int cm, cn, batch;
    size_t *offs; /* batch > 1: offsets of A, B and Y for CLBlastSgemmBatched */
    float *alphas, *betas;
    cl_kernel epi;
    cl_kernel gemv_k; /* clnn's GEMV, NULL where it does not apply */
    int vw;           /* its vector width */
    bool rows;        /* it reads W as [N,K] rows: transB, or wt */
    cl_mem wt;        /* a constant [K,N] weight transposed at prepare for clnn's GEMV */
    fc_path path;
    char desc[80];
} fc_state;

static const char *clblast_name(CLBlastStatusCode s)
{
    switch ((int)s) {
    case CLBlastNotImplemented: return "not implemented";
    case CLBlastInvalidMatrixA: return "invalid matrix A";
    case CLBlastInvalidMatrixB: return "invalid matrix B";
    case CLBlastInvalidMatrixC: return "invalid matrix C";
    case CLBlastInvalidVectorX: return "invalid vector X";
    case CLBlastInvalidVectorY: return "invalid vector Y";
    case CLBlastInvalidDimension: return "invalid dimension";
    case CLBlastInvalidLeadDimA: return "invalid leading dimension of A";
    case CLBlastInvalidLeadDimB: return "invalid leading dimension of B";
    case CLBlastInvalidLeadDimC: return "invalid leading dimension of C";
    case CLBlastInsufficientMemoryA: return "buffer A too small";
    case CLBlastInsufficientMemoryB: return "buffer B too small";
    case CLBlastInsufficientMemoryC: return "buffer C too small";
    case CLBlastInsufficientMemoryX: return "buffer X too small";
    case CLBlastInsufficientMemoryY: return "buffer Y too small";
    case CLBlastInvalidLocalMemUsage: return "invalid local memory usage";
    case CLBlastNoHalfPrecision: return "no half precision";
    case CLBlastNoDoublePrecision: return "no double precision";
    case CLBlastInvalidVectorScalar: return "invalid vector scalar";
    case CLBlastInsufficientMemoryScalar: return "insufficient memory for scalar";
    case CLBlastDatabaseError: return "no tuning parameters for this device (database error)";
    case CLBlastUnknownError: return "unknown error";
    case CLBlastUnexpectedError: return "unexpected error";
    default: return s < 0 && s > -100 ? clnn_cl_error_name((cl_int)s) : "unknown status";
    }
}

static clnn_status clblast_fail(fc_state *f, const char *call, CLBlastStatusCode s)
{
    return clnn_fail(f->ctx, CLNN_STATUS_CLBLAST_ERROR,
                     "node '%s': %s (M=%d N=%d K=%d) failed: CLBlast status %d (%s)", f->node,
                     call, f->M, f->N, f->K, (int)s, clblast_name(s));
}

/* y = op(B) x for one row, or Y = A op(B) for M rows; no epilogue. */
static CLBlastStatusCode product(fc_state *f, bool gemv, cl_command_queue *q, cl_mem a, cl_mem b,
                                 cl_mem y, cl_event *ev)
{
    if (gemv)
        return f->trans_b ? CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, (size_t)f->N,
                                         (size_t)f->K, f->alpha, b, 0, (size_t)f->K, a, 0, 1,
                                         0.0f, y, 0, 1, q, ev)
                          : CLBlastSgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes,
                                         (size_t)f->K, (size_t)f->N, f->alpha, b, 0,
                                         (size_t)f->N, a, 0, 1, 0.0f, y, 0, 1, q, ev);
    if (f->batch > 1) {
        /* One GEMM per product: CLBlastSgemmBatched writes its offset arrays with blocking
         * transfers, which deadlock behind a wait list not yet complete. A barrier after the
         * loop is the last event on an out-of-order queue too. */
        for (int i = 0; i < f->batch; i++) {
            const size_t *o = f->offs + 3 * (size_t)i;
            CLBlastStatusCode s = CLBlastSgemm(
                CLBlastLayoutRowMajor, CLBlastTransposeNo,
                f->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)f->M,
                (size_t)f->N, (size_t)f->K, f->alpha, a, o[0], (size_t)f->K, b, o[1],
                f->trans_b ? (size_t)f->K : (size_t)f->N, 0.0f, y, o[2], (size_t)f->N, q, NULL);
            if (s != CLBlastSuccess) return s;
        }
        cl_int err = clEnqueueBarrierWithWaitList(*q, 0, NULL, ev);
        return err == CL_SUCCESS ? CLBlastSuccess : (CLBlastStatusCode)err;
    }
    /* One row of A is the same K floats whether A is 1 x K or K x 1 (transA). */
    return CLBlastSgemm(CLBlastLayoutRowMajor, f->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                        f->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)f->M,
                        (size_t)f->N, (size_t)f->K, f->alpha, a, 0,
                        f->trans_a ? (size_t)f->M : (size_t)f->K, b, 0,
                        f->trans_b ? (size_t)f->K : (size_t)f->N, 0.0f, y, 0, (size_t)f->N, q,
                        ev);
}

static clnn_status fc_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                              const cl_event *w, cl_event *done);

/* Times every applicable path through the whole enqueue (clear, product, epilogue) on
 * scratch buffers of zeros and leaves the fastest in f->path. */
static clnn_status measure_paths(fc_state *f, const bool *can)
{
    cl_int err = CL_SUCCESS;
    const size_t ccount = f->has_c ? (size_t)f->cm * f->cn : 1;
    const size_t count[4] = {(size_t)f->M * f->K, (size_t)f->K * f->N, ccount,
                             (size_t)f->M * f->N};
    cl_mem buf[4] = {NULL, NULL, NULL, NULL};
    clnn_status st = CLNN_STATUS_OK;
    for (int i = 0; i < 4 && st == CLNN_STATUS_OK; i++) {
        const size_t bytes = (count[i] ? count[i] : 1) * sizeof(float);
        buf[i] = clCreateBuffer(f->dev->cl_ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
        if (!buf[i]) {
            st = clnn_fail_cl(f->ctx, err, "scratch buffers for measuring FC layer '%s'", f->node);
            break;
        }
        const float zero = 0.0f;
        err = clEnqueueFillBuffer(f->dev->queue, buf[i], &zero, sizeof zero, 0, bytes, 0, NULL,
                                  NULL);
        if (err != CL_SUCCESS)
            st = clnn_fail_cl(f->ctx, err, "clearing scratch buffers of FC layer '%s'", f->node);
    }
    layer_io io;
    memset(&io, 0, sizeof io);
    io.in[0] = buf[0];
    io.in[1] = buf[1];
    io.in[2] = f->has_c ? buf[2] : NULL;
    io.out = buf[3];
    double best[FC_NPATHS];
    for (int p = 0; p < FC_NPATHS; p++) best[p] = 1e30;
    /* rep 0 warms up (builds CLBlast's kernels); the paths alternate so drift hits all alike */
    for (int rep = 0; rep < 4 && st == CLNN_STATUS_OK; rep++)
        for (int p = 0; p < FC_NPATHS && st == CLNN_STATUS_OK; p++) {
            if (!can[p]) continue;
            f->path = (fc_path)p;
            cl_event ev = NULL;
            clFinish(f->dev->queue);
            const double t0 = clnn_now();
            st = fc_enqueue(f, f->dev->queue, &io, 0, NULL, &ev);
            if (ev) clWaitForEvents(1, &ev);
            clFinish(f->dev->queue);
            const double t = clnn_now() - t0;
            if (ev) clReleaseEvent(ev);
            if (rep > 0 && t < best[p]) best[p] = t;
        }
    if (st == CLNN_STATUS_OK) {
        f->path = FC_GEMM;
        for (int p = 1; p < FC_NPATHS; p++)
            if (can[p] && best[p] < best[f->path]) f->path = (fc_path)p;
        clnn_debug("FC '%s' %dx%d, %d row(s): gemm %.3f ms, clblast-gemv %.3f ms, clnn-gemv "
                   "%.3f ms: %s",
                   f->node, f->N, f->K, f->M, best[0] * 1e3, can[1] ? best[1] * 1e3 : -1.0,
                   can[2] ? best[2] * 1e3 : -1.0, fc_path_names[f->path]);
    }
    for (int i = 0; i < 4; i++)
        if (buf[i]) clReleaseMemObject(buf[i]);
    return st;
}

/* The path of a few-row layer, measured once per (device, shape) and kept in the context. */
static clnn_status choose_path(fc_state *f, const bool *can)
{
    clnn_context *ctx = f->ctx;
    pthread_mutex_lock(&ctx->lock);
    for (int i = 0; i < ctx->nfc_choices; i++) {
        const clnn_fc_choice *c = &ctx->fc_choices[i];
        if (c->device == f->dev->index && c->m == f->M && c->n == f->N && c->k == f->K &&
            c->trans_b == f->trans_b && c->epilogue == f->epilogue && c->rows == f->rows &&
            can[c->path]) {
            f->path = (fc_path)c->path;
            pthread_mutex_unlock(&ctx->lock);
            return CLNN_STATUS_OK;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    clnn_status st = measure_paths(f, can);
    if (st != CLNN_STATUS_OK) return st;
    pthread_mutex_lock(&ctx->lock);
    if (ctx->nfc_choices < (int)CLNN_ARRAY_LEN(ctx->fc_choices))
        ctx->fc_choices[ctx->nfc_choices++] = (clnn_fc_choice){
            f->dev->index, f->M, f->N, f->K, f->trans_b, f->epilogue, f->rows, (int)f->path};
    pthread_mutex_unlock(&ctx->lock);
    return CLNN_STATUS_OK;
}

/* CLNN_FC: -1 for auto (or unset), else the forced path; an unknown value is an error. */
static clnn_status forced_path(clnn_context *ctx, const char *node, int *forced)
{
    clnn_env env;
    clnn_env_read(&env);
    *forced = -1;
    if (!env.fc || !strcasecmp(env.fc, "auto")) return CLNN_STATUS_OK;
    for (int p = 0; p < FC_NPATHS; p++)
        if (!strcasecmp(env.fc, fc_path_names[p])) *forced = p;
    if (*forced < 0)
        return clnn_fail(ctx, CLNN_STATUS_INVALID_ARGUMENT,
                         "FC layer '%s': CLNN_FC is '%s'; expected auto, gemm, clblast-gemv or "
                         "clnn-gemv",
                         node, env.fc);
    return CLNN_STATUS_OK;
}

static clnn_status fc_prepare(clnn_context *ctx, clnn_device *dev, const clnn_graph *g,
                              const gnode *n, void **state)
{
    const gtensor *a = clnn_node_input(g, n, 0), *b = clnn_node_input(g, n, 1);
    const gtensor *c = clnn_node_input(g, n, 2);
    fc_state *f = calloc(1, sizeof *f);
    if (!f) return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "FC layer");
    f->ctx = ctx;
    f->dev = dev;
    f->node = n->name;
    const gemm_attrs *ga = OP_A(n, gemm_attrs);
    f->trans_a = ga->trans_a;
    f->trans_b = ga->trans_b;
    f->alpha = ga->alpha;
    f->beta = ga->beta;
    (void)a;
    mm_geom geo;
    mm_geometry(g, n, &geo, NULL);
    f->M = geo.M;
    f->K = geo.K;
    f->N = geo.N;
    f->batch = geo.batch;
    if (f->batch > 1) {
        /* 3 interleaved offsets per product, then the three arrays CLBlast takes */
        f->offs = malloc(sizeof(size_t) * 6 * (size_t)f->batch);
        f->alphas = malloc(sizeof(float) * (size_t)f->batch);
        f->betas = calloc((size_t)f->batch, sizeof(float));
        *state = f;
        if (!f->offs || !f->alphas || !f->betas)
            return clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "FC layer '%s'", n->name);
        mm_geometry(g, n, &geo, f->offs);
        for (int i = 0; i < f->batch; i++) f->alphas[i] = f->alpha;
    }
    f->has_c = c != NULL;
    f->epilogue = f->has_c || n->fused.act != CLNN_ACTIVATION_NONE;
    *state = f;
    /* CLBlast has no parameters for most devices: give it the tuned ones (once per device). */
    clnn_clblast_context_uses(ctx);
    clnn_tune_apply_clblast(ctx, dev);
    clnn_status st = CLNN_STATUS_OK;
    if (f->has_c) {
        f->cm = c->ndim == 2 ? (int)c->dims[0] : 1;
        f->cn = c->ndim >= 1 ? (int)c->dims[c->ndim - 1] : 1;
    }
    if (st == CLNN_STATUS_OK && f->epilogue) {
        char opts[160], a[40], b[40];
        snprintf(opts, sizeof opts, "-DACT=%d -DACT_A=%s -DACT_B=%s -DHAS_C=%d",
                 (int)n->fused.act, clnn_float_literal(n->fused.act_a, a),
                 clnn_float_literal(n->fused.act_b, b), f->has_c);
        st = clnn_kernel_create(ctx, dev, "fc", opts, "fc_epilogue", &f->epi);
    }
    int forced = -1;
    if (st == CLNN_STATUS_OK) st = forced_path(ctx, n->name, &forced);
    /* A few rows of one product: both GEMVs apply (CLBlast's to one row only). */
    const bool few = f->batch == 1 && f->M <= FC_GEMV_ROWS && f->N > 0;
    bool can[FC_NPATHS] = {true, few && f->M == 1 && f->K > 0,
                           few && (!f->trans_a || f->M == 1)};
    if (st == CLNN_STATUS_OK && can[FC_CLNN_GEMV] && (forced < 0 || forced == FC_CLNN_GEMV)) {
        /* wide loads where K (rows of W) or N (columns) allows, short ones for small sizes */
        /* A constant [K,N] weight is transposed once, so that both layouts run the
         * contiguous-row kernel: columns read a row of W per step along K, a page apart for
         * wide layers, which defeats the prefetchers. */
        if (!f->trans_b && b->data && f->K > 0) {
            const size_t K = (size_t)f->K, N = (size_t)f->N;
            float *t = malloc(K * N * sizeof *t);
            if (!t) st = clnn_fail(ctx, CLNN_STATUS_OUT_OF_HOST_MEMORY, "FC layer '%s'", n->name);
            for (size_t k = 0; t && k < K; k++)
                for (size_t j = 0; j < N; j++) t[j * K + k] = b->data[k * N + j];
            cl_int err = CL_SUCCESS;
            if (t)
                f->wt = clCreateBuffer(dev->cl_ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                       K * N * sizeof *t, t, &err);
            if (t && !f->wt)
                st = clnn_fail_cl(ctx, err, "transposed weight of FC layer '%s'", n->name);
            free(t);
        }
        f->rows = f->trans_b || f->wt;
        const int len = f->rows ? f->K : f->N;
        f->vw = len >= 64 ? 16 : len >= 16 ? 8 : 4;
        char opts[200], a[40], b[40];
        snprintf(opts, sizeof opts, "-DACT=%d -DACT_A=%s -DACT_B=%s -DHAS_C=%d -DROWS=%d -DVW=%d",
                 (int)n->fused.act, clnn_float_literal(n->fused.act_a, a),
                 clnn_float_literal(n->fused.act_b, b), f->has_c, f->M, f->vw);
        if (st == CLNN_STATUS_OK)
            st = clnn_kernel_create(ctx, dev, "fc", opts, f->rows ? "fc_gemv_t" : "fc_gemv_n",
                                &f->gemv_k);
    }
    if (st == CLNN_STATUS_OK) {
        if (forced >= 0)
            f->path = can[forced] ? (fc_path)forced : FC_GEMM; /* forced where it applies */
        else if (!few)
            f->path = FC_GEMM;
        else if (f->K == 0)
            f->path = can[FC_CLNN_GEMV] ? FC_CLNN_GEMV : FC_GEMM;
        else
            st = choose_path(f, can);
    }
    if (f->path != FC_CLNN_GEMV && f->gemv_k) {
        clReleaseKernel(f->gemv_k);
        f->gemv_k = NULL;
    }
    if (f->path != FC_CLNN_GEMV && f->wt) {
        clReleaseMemObject(f->wt);
        f->wt = NULL;
    }
    if (f->path == FC_CLNN_GEMV)
        snprintf(f->desc, sizeof f->desc, "clnn gemv, B [%s], float%d, %d row(s)",
                 f->trans_b ? "N,K" : f->wt ? "K,N] transposed to [N,K" : "K,N", f->vw, f->M);
    else
        snprintf(f->desc, sizeof f->desc, "clblast %s",
                 f->batch > 1                ? "sgemm batched"
                 : f->path == FC_CLBLAST_GEMV ? "sgemv"
                                              : "sgemm");
    return st;
}

/* clnn's GEMV: one launch, bias and activation fused, every output written. */
static clnn_status gemv_enqueue(fc_state *f, cl_command_queue q, const layer_io *io, cl_uint nw,
                                const cl_event *w, cl_event *done)
{
    const char *name = f->rows ? "fc_gemv_t" : "fc_gemv_n";
    cl_mem c = f->has_c ? io->in[2] : io->out; /* not read without C */
    cl_mem wm = f->wt ? f->wt : io->in[1];
    clnn_arg args[] = {CLNN_ARG(io->in[0]), CLNN_ARG(wm),       CLNN_ARG(c),
                       CLNN_ARG(io->out),   CLNN_ARG(f->N),      CLNN_ARG(f->K),
                       CLNN_ARG(f->cm),     CLNN_ARG(f->cn),     CLNN_ARG(f->alpha),
                       CLNN_ARG(f->beta)};
    clnn_status st = clnn_set_args(f->ctx, f->gemv_k, name, args, CLNN_ARRAY_LEN(args));
    const size_t items = f->rows ? (size_t)f->N : ((size_t)f->N + f->vw - 1) / f->vw;
    size_t l = FC_GEMV_LOCAL, g = (items + l - 1) / l * l;
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(f->ctx, q, f->gemv_k, name, 1, &g, &l, nw, nw ? w : NULL, done);
    return st;
}

static clnn_status fc_enqueue(void *state, cl_command_queue q, const layer_io *io, cl_uint nw,
                              const cl_event *w, cl_event *done)
{
    fc_state *f = state;
    if (f->path == FC_CLNN_GEMV) return gemv_enqueue(f, q, io, nw, w, done);
    const bool gemv = f->path == FC_CLBLAST_GEMV;
    /* CLBlast takes no wait list: a barrier on the queue orders it after the inputs. */
    cl_int err = clEnqueueBarrierWithWaitList(q, nw, nw ? w : NULL, NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(f->ctx, err, "barrier before FC '%s'", f->node);
    /* CLBlast reads the output even with beta 0 (its GEMV computes 0 * y), so the output
     * starts as zeros: buffers the memory plan reuses may hold anything, NaN included. */
    const float zero = 0.0f;
    err = clEnqueueFillBuffer(q, io->out, &zero, sizeof zero, 0,
                              (size_t)f->M * f->N * f->batch * sizeof(float), 0, NULL, NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(f->ctx, err, "clearing the output of FC '%s'", f->node);
    /* the product after the clear, on out-of-order queues too */
    err = clEnqueueBarrierWithWaitList(q, 0, NULL, NULL);
    if (err != CL_SUCCESS) return clnn_fail_cl(f->ctx, err, "barrier in FC '%s'", f->node);
    cl_event prod = NULL;
    /* K == 0: the product is the zeros just written (CLBlast refuses empty dimensions). */
    CLBlastStatusCode s = f->K == 0 ? CLBlastSuccess
                                    : product(f, gemv, &q, io->in[0], io->in[1], io->out,
                                              &prod);
    if (s != CLBlastSuccess)
        return clblast_fail(f, f->batch > 1 ? "CLBlastSgemm (batched)"
                               : gemv      ? "CLBlastSgemv"
                                           : "CLBlastSgemm",
                            s);
    if (!f->epilogue) {
        if (done)
            *done = prod;
        else if (prod)
            clReleaseEvent(prod);
        return CLNN_STATUS_OK;
    }
    cl_mem c = f->has_c ? io->in[2] : io->out;
    const int rows = f->M * f->batch;
    clnn_arg args[] = {CLNN_ARG(io->out), CLNN_ARG(c),     CLNN_ARG(rows),   CLNN_ARG(f->N),
                       CLNN_ARG(f->cm),   CLNN_ARG(f->cn), CLNN_ARG(f->beta)};
    clnn_status st = clnn_set_args(f->ctx, f->epi, "fc_epilogue", args, CLNN_ARRAY_LEN(args));
    size_t g[2] = {(size_t)f->N, (size_t)rows};
    if (st == CLNN_STATUS_OK)
        st = clnn_launch(f->ctx, q, f->epi, "fc_epilogue", 2, g, NULL, prod ? 1 : 0,
                         prod ? &prod : NULL, done);
    if (prod) clReleaseEvent(prod);
    return st;
}

static clnn_status fc_reference(const clnn_graph *g, const gnode *n, const float *const *in,
                                const float *residual, float *out)
{
    (void)residual;
    const gtensor *c = clnn_node_input(g, n, 2);
    const gemm_attrs *ga = OP_A(n, gemm_attrs);
    const bool ta = ga->trans_a, tb = ga->trans_b;
    const float alpha = ga->alpha, beta = ga->beta;
    mm_geom geo;
    mm_geometry(g, n, &geo, NULL);
    size_t *offs = malloc(sizeof(size_t) * 3 * (size_t)geo.batch);
    if (!offs) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "MatMul reference");
    mm_geometry(g, n, &geo, offs);
    const int M = geo.M, N = geo.N, K = geo.K;
    int cm = c && c->ndim == 2 ? (int)c->dims[0] : 1, cn = c && c->ndim >= 1 ? (int)c->dims[c->ndim - 1] : 1;
    for (int bi = 0; bi < geo.batch; bi++) {
        const float *A = in[0] + offs[3 * bi], *B = in[1] + offs[3 * bi + 1];
        float *Y = out + offs[3 * bi + 2];
        for (int m = 0; m < M; m++)
            for (int j = 0; j < N; j++) {
                double acc = 0;
                for (int k = 0; k < K; k++)
                    acc += (double)A[ta ? (size_t)k * M + m : (size_t)m * K + k] *
                           (tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j]);
                float v = alpha * (float)acc;
                if (c) v += beta * in[2][(size_t)(cm == 1 ? 0 : m) * cn + (cn == 1 ? 0 : j)];
                Y[(size_t)m * N + j] =
                    clnn_ref_activate(v, n->fused.act, n->fused.act_a, n->fused.act_b);
            }
    }
    free(offs);
    return CLNN_STATUS_OK;
}

static void fc_destroy(void *state)
{
    fc_state *f = state;
    if (!f) return;
    free(f->offs);
    free(f->alphas);
    free(f->betas);
    if (f->epi) clReleaseKernel(f->epi);
    if (f->gemv_k) clReleaseKernel(f->gemv_k);
    if (f->wt) clReleaseMemObject(f->wt);
    free(f);
}

static const char *fc_describe(const void *state) { return ((const fc_state *)state)->desc; }

const clnn_layer_impl clnn_layer_fc = {
    .name = "fc",
    .prepare = fc_prepare,
    .enqueue = fc_enqueue,
    .reference = fc_reference,
    .destroy = fc_destroy,
    .describe = fc_describe,
};

bool clnn_node_fc_shape(const clnn_graph *g, const gnode *n, int *m, int *nn, int *k,
                        bool *trans_b)
{
    if (n->op != OP_GEMM && n->op != OP_MATMUL) return false;
    const gemm_attrs *ga = OP_A(n, gemm_attrs);
    if (ga->trans_a) return false;
    mm_geom geo;
    mm_geometry(g, n, &geo, NULL);
    if (geo.batch != 1) return false;
    *m = geo.M;
    *nn = geo.N;
    *k = geo.K;
    *trans_b = ga->trans_b;
    return true;
}

/* ---- definitions -------------------------------------------------------------------------- */

static clnn_status gemm_infer(clnn_graph *g, gnode *n)
{
    const gtensor *a = op_in(g, n, 0), *b = op_in(g, n, 1), *c = op_in(g, n, 2);
    const gemm_attrs *ga = OP_A(n, gemm_attrs);
    clnn_status st = op_need_float(g, n, 0);
    if (st == CLNN_STATUS_OK) st = op_need_float(g, n, 1);
    if (st == CLNN_STATUS_OK) st = op_need_rank(g, n, 0, 2, "input A");
    if (st == CLNN_STATUS_OK) st = op_need_rank(g, n, 1, 2, "input B");
    if (st != CLNN_STATUS_OK) return st;
    const bool ta = ga->trans_a, tb = ga->trans_b;
    int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
    int64_t K2 = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
    if (K != K2)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "inner dimensions differ: %lld and %lld",
                       (long long)K, (long long)K2);
    if (c) {
        st = op_need_float(g, n, 2);
        if (st != CLNN_STATUS_OK) return st;
        /* C broadcasts to [M, N]: [N], [1, N], [M, N], [M, 1], scalars. */
        int64_t cm = c->ndim == 2 ? c->dims[0] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
        if (c->ndim > 2 || (cm != 1 && cm != M) || (cn != 1 && cn != N))
            return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                           "input C does not broadcast to [%lld,%lld]", (long long)M,
                           (long long)N);
    }
    int64_t d[2] = {M, N};
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, d, 2);
}

static node_work gemm_work(const clnn_graph *g, const gnode *n)
{
    node_work w = op_io_work(g, n);
    const gtensor *a = op_in(g, n, 0), *y = op_out(g, n, 0);
    const double K = (double)a->dims[OP_A(n, gemm_attrs)->trans_a ? 0 : a->ndim - 1];
    w.flops = 2.0 * (double)clnn_shape_count(y->dims, y->ndim) * K;
    w.kernels = 2;
    return w;
}

static const op_attr gemm_rows[] = {
    A_FLOAT("alpha", gemm_attrs, alpha, 1.0),
    A_FLOAT("beta", gemm_attrs, beta, 1.0),
    A_INT("transA", gemm_attrs, trans_a, 0, 0, 1),
    A_INT("transB", gemm_attrs, trans_b, 0, 0, 1),
    A_IGNORE("broadcast", .until = 7), /* numpy-style broadcasting of C is what clnn does */
};

const clnn_op_def clnn_op_gemm = {
    .name = "Gemm",
    .since = {1, 6, 7, 9, 11, 13},
    .min_in = 2, .max_in = 3, .max_out = 1,
    .optional_in = 1u << 2,
    OP_ATTRS(gemm_rows),
    .attr_size = sizeof(gemm_attrs),
    .infer = gemm_infer,
    .layer = &clnn_layer_fc,
    .work = gemm_work,
    .notes = "transA, transB; C (constant or computed) broadcasting to the output; activations fused",
};

/* MatMul: numpy matmul, the batch dimensions broadcast and 1-D operands promoted (and their
 * axis dropped from the output). */
static clnn_status matmul_infer(clnn_graph *g, gnode *n)
{
    const gtensor *a = op_in(g, n, 0), *b = op_in(g, n, 1);
    clnn_status st = op_need_float(g, n, 0);
    if (st == CLNN_STATUS_OK) st = op_need_float(g, n, 1);
    if (st != CLNN_STATUS_OK) return st;
    if (a->ndim < 1 || b->ndim < 1)
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "input %s is a scalar (rank 0)",
                       a->ndim < 1 ? "A" : "B");
    int64_t ad[CLNN_MAX_DIMS], bd[CLNN_MAX_DIMS], od[CLNN_MAX_DIMS];
    int na, nb, no;
    mm_promote(a, false, ad, &na);
    mm_promote(b, true, bd, &nb);
    if (ad[na - 1] != bd[nb - 2])
        return op_fail(n, CLNN_STATUS_INVALID_MODEL,
                       "inner dimensions differ: A has K=%lld, B has K=%lld",
                       (long long)ad[na - 1], (long long)bd[nb - 2]);
    if (!op_broadcast(ad, na - 2, bd, nb - 2, od, &no))
        return op_fail(n, CLNN_STATUS_INVALID_MODEL, "batch dimensions do not broadcast");
    if (a->ndim != 1) od[no++] = ad[na - 2];
    if (b->ndim != 1) od[no++] = bd[nb - 1];
    int64_t count = 1;
    for (int i = 0; i < no; i++)
        if (!op_mul_ok(count, od[i], &count) || count > INT32_MAX)
            return op_fail(n, CLNN_STATUS_UNSUPPORTED, "output has 2^31 elements or more");
    if (ad[na - 2] * ad[na - 1] > INT32_MAX || bd[nb - 2] * bd[nb - 1] > INT32_MAX)
        return op_fail(n, CLNN_STATUS_UNSUPPORTED, "operand has 2^31 elements or more");
    return op_set_out(g, n, 0, CLNN_DTYPE_FLOAT, od, no);
}

/* MatMul's attribute struct holds Gemm's defaults (alpha 1, beta 0, no transposes). */
static clnn_status matmul_check(gnode *n)
{
    gemm_attrs *a = n->attrs;
    a->alpha = 1.0f;
    a->beta = 0.0f;
    return CLNN_STATUS_OK;
}

const clnn_op_def clnn_op_matmul = {
    .name = "MatMul",
    .since = {1, 9, 13},
    .min_in = 2, .max_in = 2, .max_out = 1,
    .attr_size = sizeof(gemm_attrs),
    .check = matmul_check,
    .infer = matmul_infer,
    .layer = &clnn_layer_fc,
    .work = gemm_work,
    .notes = "N-D, batch dimensions broadcast; 1-D operands promoted",
};
