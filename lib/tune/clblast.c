/*
 * clblast.c - CLBlast's tunable kernels for FC layers: parameter names and the values clnn
 * searches, the legality constraints of each kernel, and applying a stored set.
 *
 * The constraints restate what CLBlast's kernels need for their integer tilings (e.g. Xgemm:
 * a work-group of MDIMC x NDIMC threads covers an MWG x NWG tile with VWM/VWN-wide vectors,
 * so MWG must be a multiple of MDIMC * VWM) plus the device's work-group and local-memory
 * limits. The value lists are small on purpose: they are what the tuner searches.
 */
#include "clblast.h"

#include <clblast_c.h>
#include <string.h>

/* Parameter order follows the tables below; index helpers keep the checks readable. */
enum { GEMMK, KREG, KWG, KWI, MDIMA, MDIMC, MWG, NDIMB, NDIMC, NWG, SA, SB, STRM, STRN, VWM,
       VWN };
enum { KWID, MDIMAD, MDIMCD, NDIMBD, NDIMCD, PADA, PADB, VWMD, VWND, WGD };

static bool multiple(size_t x, size_t m) { return m > 0 && x % m == 0; }

static const char *check_xgemm(const size_t *v, const clnn_device_info *dev)
{
    if (!multiple(v[KWG], v[KWI])) return "KWG must be a multiple of KWI";
    if (!multiple(v[MWG], v[MDIMC] * v[VWM])) return "MWG must be a multiple of MDIMC * VWM";
    if (!multiple(v[NWG], v[NDIMC] * v[VWN])) return "NWG must be a multiple of NDIMC * VWN";
    if (!multiple(v[MWG], v[MDIMA] * v[VWM])) return "MWG must be a multiple of MDIMA * VWM";
    if (!multiple(v[NWG], v[NDIMB] * v[VWN])) return "NWG must be a multiple of NDIMB * VWN";
    const size_t threads = v[MDIMC] * v[NDIMC];
    if (!multiple(threads, v[MDIMA]) || !multiple(v[KWG], threads / v[MDIMA]))
        return "KWG must be a multiple of MDIMC * NDIMC / MDIMA";
    if (!multiple(threads, v[NDIMB]) || !multiple(v[KWG], threads / v[NDIMB]))
        return "KWG must be a multiple of MDIMC * NDIMC / NDIMB";
    if (threads > dev->max_work_group_size) return "work-group larger than the device allows";
    size_t local = (v[SA] * v[KWG] * v[MWG] + v[SB] * v[KWG] * v[NWG]) * sizeof(float);
    if (local > dev->local_mem_bytes) return "local memory larger than the device has";
    return NULL;
}

static const char *check_xgemm_direct(const size_t *v, const clnn_device_info *dev)
{
    if (!multiple(v[WGD], v[KWID])) return "WGD must be a multiple of KWID";
    if (!multiple(v[WGD], v[MDIMCD] * v[VWMD])) return "WGD must be a multiple of MDIMCD * VWMD";
    if (!multiple(v[WGD], v[NDIMCD] * v[VWND])) return "WGD must be a multiple of NDIMCD * VWND";
    if (!multiple(v[WGD], v[MDIMAD] * v[VWMD])) return "WGD must be a multiple of MDIMAD * VWMD";
    if (!multiple(v[WGD], v[NDIMBD] * v[VWND])) return "WGD must be a multiple of NDIMBD * VWND";
    const size_t threads = v[MDIMCD] * v[NDIMCD];
    if (!multiple(threads, v[MDIMAD]) || !multiple(v[WGD], threads / v[MDIMAD]))
        return "WGD must be a multiple of MDIMCD * NDIMCD / MDIMAD";
    if (!multiple(threads, v[NDIMBD]) || !multiple(v[WGD], threads / v[NDIMBD]))
        return "WGD must be a multiple of MDIMCD * NDIMCD / NDIMBD";
    if (threads > dev->max_work_group_size) return "work-group larger than the device allows";
    size_t local = (v[WGD] * (v[WGD] + v[PADA]) + v[WGD] * (v[WGD] + v[PADB])) * sizeof(float);
    if (local > dev->local_mem_bytes) return "local memory larger than the device has";
    return NULL;
}

/* Xgemv: WGS1, WPT1. */
static const char *check_xgemv(const size_t *v, const clnn_device_info *dev)
{
    if (v[0] > dev->max_work_group_size) return "work-group larger than the device allows";
    return NULL;
}

/* XgemvFast and XgemvFastRot: VW, WGS, WPT (alphabetical, as CLBlast lists them). */
static const char *check_xgemv_fast(const size_t *v, const clnn_device_info *dev)
{
    if (!multiple(v[2], v[0])) return "WPT must be a multiple of VW";
    if (v[1] > dev->max_work_group_size) return "work-group larger than the device allows";
    return NULL;
}

static const char *check_xgemv_fast_rot(const size_t *v, const clnn_device_info *dev)
{
    const char *why = check_xgemv_fast(v, dev);
    if (!why && !multiple(v[1], v[2])) why = "WGS3 must be a multiple of WPT3";
    return why;
}

const clnn_clblast_kernel clnn_clblast_kernels[] = {
    {"Xgemm", false, 16,
     {{"GEMMK", 1, {0}}, {"KREG", 1, {1}}, {"KWG", 2, {16, 32}}, {"KWI", 2, {2, 8}},
      {"MDIMA", 3, {8, 16, 32}}, {"MDIMC", 3, {8, 16, 32}}, {"MWG", 4, {16, 32, 64, 128}},
      {"NDIMB", 3, {8, 16, 32}}, {"NDIMC", 3, {8, 16, 32}}, {"NWG", 4, {16, 32, 64, 128}},
      {"SA", 2, {0, 1}}, {"SB", 2, {0, 1}}, {"STRM", 2, {0, 1}}, {"STRN", 2, {0, 1}},
      {"VWM", 4, {1, 2, 4, 8}}, {"VWN", 4, {1, 2, 4, 8}}},
     check_xgemm},
    {"XgemmDirect", false, 10,
     {{"KWID", 3, {2, 8, 16}}, {"MDIMAD", 3, {8, 16, 32}}, {"MDIMCD", 3, {8, 16, 32}},
      {"NDIMBD", 3, {8, 16, 32}}, {"NDIMCD", 3, {8, 16, 32}}, {"PADA", 2, {0, 1}},
      {"PADB", 2, {0, 1}}, {"VWMD", 4, {1, 2, 4, 8}}, {"VWND", 4, {1, 2, 4, 8}},
      {"WGD", 4, {8, 16, 32, 64}}},
     check_xgemm_direct},
    {"Xgemv", true, 2, {{"WGS1", 5, {16, 32, 64, 128, 256}}, {"WPT1", 3, {1, 2, 4}}}, check_xgemv},
    {"XgemvFast", true, 3,
     {{"VW2", 3, {1, 2, 4}}, {"WGS2", 5, {16, 32, 64, 128, 256}}, {"WPT2", 3, {1, 2, 4}}},
     check_xgemv_fast},
    {"XgemvFastRot", true, 3,
     {{"VW3", 4, {1, 2, 4, 8}}, {"WGS3", 4, {16, 32, 64, 128}},
      {"WPT3", 6, {1, 2, 4, 8, 16, 32}}},
     check_xgemv_fast_rot},
};
const size_t clnn_clblast_kernel_count = CLNN_ARRAY_LEN(clnn_clblast_kernels);

const clnn_clblast_kernel *clnn_clblast_kernel_find(const char *name)
{
    for (size_t i = 0; i < clnn_clblast_kernel_count; i++)
        if (!strcmp(clnn_clblast_kernels[i].name, name)) return &clnn_clblast_kernels[i];
    return NULL;
}

const char *clnn_clblast_entry_check(const clnn_tune_clblast *e, const clnn_device_info *dev)
{
    const clnn_clblast_kernel *k = clnn_clblast_kernel_find(e->kernel);
    if (!k) return "not a CLBlast kernel clnn tunes";
    if (e->nparams != k->nparams) return "the parameter set is incomplete or has extra names";
    size_t v[CLNN_TUNE_MAX_PARAMS];
    for (int i = 0; i < k->nparams; i++) {
        int found = -1;
        for (int j = 0; j < e->nparams; j++)
            if (!strcmp(e->names[j], k->params[i].name)) found = j;
        if (found < 0) return "a parameter of the kernel is missing";
        bool listed = false;
        for (int j = 0; j < k->params[i].nvalues; j++)
            if ((size_t)k->params[i].values[j] == e->values[found]) listed = true;
        if (!listed) return "a parameter has a value outside the searched set";
        v[i] = e->values[found];
    }
    return k->check(v, dev);
}

int clnn_clblast_override(cl_device_id device, const clnn_tune_clblast *e)
{
    const char *names[CLNN_TUNE_MAX_PARAMS];
    for (int i = 0; i < e->nparams; i++) names[i] = e->names[i];
    return (int)CLBlastOverrideParameters(device, e->kernel, CLBlastPrecisionSingle,
                                          (size_t)e->nparams, names, e->values);
}

static pthread_mutex_t users_lock = PTHREAD_MUTEX_INITIALIZER;
static int users; /* live contexts that ran CLBlast */

void clnn_clblast_context_uses(clnn_context *ctx)
{
    pthread_mutex_lock(&users_lock);
    if (!ctx->clblast_user) {
        ctx->clblast_user = true;
        users++;
    }
    pthread_mutex_unlock(&users_lock);
}

void clnn_clblast_context_done(clnn_context *ctx)
{
    pthread_mutex_lock(&users_lock);
    if (ctx->clblast_user) {
        ctx->clblast_user = false;
        if (--users == 0) CLBlastClearCache();
    }
    pthread_mutex_unlock(&users_lock);
}
