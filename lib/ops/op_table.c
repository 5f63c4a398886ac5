/*
 * op_table.c - the operator table: op_list.h's definitions indexed by clnn_op, name lookup,
 * the version a model's opset selects, and the list of supported operators for messages.
 */
#include "../graph/op.h"

#include <stdlib.h>
#include <string.h>

#define CLNN_OP_ENUM(id, def) extern const clnn_op_def def;
#include "op_list.h"
#undef CLNN_OP_ENUM

static int cmp_names(const void *a, const void *b);

static const clnn_op_def *const table[] = {
#define CLNN_OP_ENUM(id, def) [OP_##id] = &def,
#include "op_list.h"
#undef CLNN_OP_ENUM
};
_Static_assert(sizeof table / sizeof table[0] == OP_COUNT,
               "every clnn_op has exactly one definition (lib/ops/op_list.h)");

const clnn_op_def *clnn_op_def_of(clnn_op op)
{
    return (unsigned)op < OP_COUNT ? table[op] : NULL;
}

const char *clnn_op_name(clnn_op op)
{
    return (unsigned)op < OP_COUNT ? table[op]->name : "?";
}

bool clnn_op_lookup(const char *name, clnn_op *op)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (!(table[i]->flags & OPF_INTERNAL) && !strcmp(table[i]->name, name)) {
            *op = (clnn_op)i;
            return true;
        }
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char supported[OP_COUNT * 24];
static const clnn_op_def *sorted[OP_COUNT]; /* the operators models can name, by name */
static int npublic;
static pthread_once_t supported_once = PTHREAD_ONCE_INIT;

static int cmp_defs(const void *a, const void *b)
{
    return cmp_names(&(*(const clnn_op_def *const *)a)->name,
                     &(*(const clnn_op_def *const *)b)->name);
}

static void build_supported(void)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (!(table[i]->flags & OPF_INTERNAL)) sorted[npublic++] = table[i];
    qsort(sorted, (size_t)npublic, sizeof sorted[0], cmp_defs);
    size_t len = 0;
    for (int i = 0; i < npublic; i++)
        len += (size_t)snprintf(supported + len, sizeof supported - len, "%s%s", i ? ", " : "",
                                sorted[i]->name);
}

size_t clnn_operator_count(void)
{
    pthread_once(&supported_once, build_supported);
    return (size_t)npublic;
}

clnn_status clnn_operator_get(size_t i, clnn_operator_info *info)
{
    pthread_once(&supported_once, build_supported);
    if (!info || i >= (size_t)npublic)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_operator_get: index %zu (there are %d operators)", i, npublic);
    const clnn_op_def *d = sorted[i];
    memset(info, 0, sizeof *info);
    info->name = d->name;
    for (size_t k = 0; k < sizeof d->since / sizeof d->since[0] && d->since[k]; k++)
        if (d->since[k] >= d->first) info->versions[info->nversions++] = d->since[k];
    info->runs = d->flags & OPF_REMOVABLE ? "removed"
                 : d->layer               ? "device"
                 : d->flags & OPF_VIEW    ? "device (view)"
                                          : "host";
    info->notes = d->notes ? d->notes : "";
    return CLNN_STATUS_OK;
}

const char *clnn_op_supported_list(void)
{
    pthread_once(&supported_once, build_supported);
    return supported;
}

clnn_status clnn_op_version(const clnn_op_def *def, int opset, const char *node, int *version)
{
    int v = 0;
    *version = 0;
    for (size_t i = 0; i < sizeof def->since / sizeof def->since[0] && def->since[i]; i++)
        if (def->since[i] <= opset) v = def->since[i];
    if (v == 0)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '%s' (%s): the operator does not exist in opset %d (it was added "
                         "in opset %d)",
                         node, def->name, opset, def->since[0]);
    if (def->last_opset && opset > def->last_opset)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_MODEL,
                         "node '%s' (%s): the operator was removed from ONNX after opset %d; "
                         "this model uses opset %d",
                         node, def->name, def->last_opset, opset);
    if (def->first && v < def->first)
        return clnn_fail(NULL, CLNN_STATUS_UNSUPPORTED,
                         "node '%s' (%s): version %d of the operator (opset %d) is not "
                         "supported; clnn runs versions %d and later",
                         node, def->name, v, opset, def->first);
    *version = v;
    return CLNN_STATUS_OK;
}
