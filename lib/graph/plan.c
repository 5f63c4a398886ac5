/*
 * plan.c - sizes of the activation memory plan (lib/session/exec.c plans per device).
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

size_t clnn_tensor_bytes(const gtensor *t)
{
    size_t n = (size_t)clnn_shape_count(t->dims, t->ndim);
    return (n ? n : 1) * sizeof(float);
}
