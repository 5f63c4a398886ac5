/*
 * fuzz_builder.c - libFuzzer target for the graph builder API and everything a graph goes
 * through before it reaches a device: the bytes are read as a little program of builder
 * calls (graph inputs of small shapes, float and int64 constants with small or extreme
 * values, nodes of any supported operator with inputs drawn from the tensors so far and
 * attributes of any name and type), then the graph is validated (compiled: inference,
 * constant folding, passes) at batch 1 or 2. Every call must return a status; crashes,
 * sanitizer reports, hangs and leaks are findings. Built and run by fuzz/build.sh.
 */
#include "clnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned byte(reader *r)
{
    if (!r->n) return 0;
    r->n--;
    return *r->p++;
}

/* A small integer, now and then an extreme one (shape arithmetic's edge cases). */
static int64_t value(reader *r)
{
    static const int64_t extreme[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1LL << 31, -(1LL << 31),
                                      65536, 1LL << 40};
    unsigned b = byte(r);
    if (b >= 240) return extreme[(b - 240) % 9];
    return (int64_t)(b % 33) - 16;
}

static const char *const attr_names[] = {
    "axis", "axes", "perm", "pads", "kernel_shape", "strides", "dilations", "group",
    "keepdims", "mode", "to", "alpha", "beta", "epsilon", "value", "split", "starts", "ends",
    "auto_pad", "ceil_mode", "transA", "transB", "allowzero", "shape", "num_outputs",
    "coordinate_transformation_mode", "nearest_mode", "min", "max", "size", "blocksize",
    "output_padding", "output_shape", "noop_with_empty_axes", "select_last_index", "fmod",
    "approximate", "count_include_pad", "storage_order", "broadcast", "training_mode", "start",
    "end", "cubic_coeff_a", "exclude_outside", "extrapolation_value", "antialias",
    "keep_aspect_ratio_policy", "num_groups", "stash_type", "consumed_inputs", "is_test",
    "spatial", "ratio", "seed", "momentum", "lambd", "bias", "gamma", "sizes", "scales",
};
static const char *const strings[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "constant",
                                      "reflect", "edge", "wrap", "nearest", "linear", "cubic",
                                      "DCR", "CRD", "none", "tanh", "half_pixel", "align_corners",
                                      "asymmetric", "floor", "ceil", "", "x"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    clnn_set_log_level(CLNN_LOG_LEVEL_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    clnn_graph *g = NULL;
    if (clnn_graph_create(&g) != CLNN_STATUS_OK) return 0;
    clnn_graph_set_opset(g, 1 + (int)(byte(&r) % 20));
    char names[64][16];
    int ntensors = 0;
    /* Inputs and constants. */
    int nin = 1 + (int)(byte(&r) % 3), nconst = (int)(byte(&r) % 5);
    for (int i = 0; i < nin + nconst && ntensors < 64; i++) {
        int64_t dims[4];
        size_t nd = byte(&r) % 5;
        int64_t count = 1;
        for (size_t k = 0; k < nd; k++) {
            dims[k] = 1 + (int64_t)(byte(&r) % 8);
            count *= dims[k];
        }
        snprintf(names[ntensors], sizeof names[0], "t%d", ntensors);
        clnn_status st;
        if (i < nin) {
            if (nd == 0) continue; /* graph inputs have a batch dimension */
            if (byte(&r) & 1) dims[0] = 0; /* the session's batch */
            st = clnn_graph_add_input(g, names[ntensors], dims, nd);
        } else if (byte(&r) & 1) {
            int64_t v[4096];
            for (int64_t k = 0; k < count; k++) v[k] = value(&r);
            st = clnn_graph_add_constant_int64(g, names[ntensors], dims, nd, v);
        } else {
            float v[4096];
            for (int64_t k = 0; k < count; k++) v[k] = (float)value(&r) / 4.0f;
            st = clnn_graph_add_constant(g, names[ntensors], dims, nd, v);
        }
        if (st == CLNN_STATUS_OK) ntensors++;
    }
    /* Nodes. */
    int nnodes = (int)(byte(&r) % 16);
    const char *last = NULL;
    for (int i = 0; i < nnodes && ntensors < 62 && r.n; i++) {
        clnn_operator_info op;
        if (clnn_operator_get(byte(&r) % clnn_operator_count(), &op) != CLNN_STATUS_OK) break;
        const char *in[6];
        size_t ni = byte(&r) % 6;
        for (size_t k = 0; k < ni; k++) {
            unsigned b = byte(&r);
            in[k] = b == 255 || !ntensors ? "" : names[b % (unsigned)ntensors];
        }
        size_t no = 1 + byte(&r) % 2;
        const char *out[2];
        for (size_t k = 0; k < no; k++) {
            snprintf(names[ntensors + (int)k], sizeof names[0], "t%d", ntensors + (int)k);
            out[k] = names[ntensors + (int)k];
        }
        clnn_attr at[4];
        int64_t ints[4][8];
        float floats[4][8];
        size_t na = byte(&r) % 5;
        for (size_t k = 0; k < na; k++) {
            memset(&at[k], 0, sizeof at[k]);
            at[k].name = attr_names[byte(&r) % (sizeof attr_names / sizeof attr_names[0])];
            size_t cnt = byte(&r) % 9;
            for (size_t j = 0; j < cnt; j++) ints[k][j] = value(&r), floats[k][j] = (float)ints[k][j];
            switch (byte(&r) % 6) {
            case 0: at[k].type = CLNN_ATTR_INT, at[k].i = value(&r); break;
            case 1: at[k].type = CLNN_ATTR_FLOAT, at[k].f = (float)value(&r) / 8.0f; break;
            case 2: at[k].type = CLNN_ATTR_INTS, at[k].ints = ints[k], at[k].count = cnt; break;
            case 3: at[k].type = CLNN_ATTR_FLOATS, at[k].floats = floats[k], at[k].count = cnt; break;
            case 4:
                at[k].type = CLNN_ATTR_STRING;
                at[k].s = strings[byte(&r) % (sizeof strings / sizeof strings[0])];
                break;
            default:
                at[k].type = CLNN_ATTR_TENSOR;
                at[k].elem_type = byte(&r) & 1 ? 1 : 7;
                at[k].floats = floats[k];
                at[k].ints = ints[k];
                at[k].count = cnt;
                break;
            }
        }
        if (clnn_graph_add_node(g, op.name, NULL, in, ni, out, no, at, na) == CLNN_STATUS_OK) {
            last = names[ntensors];
            ntensors += (int)no;
        }
    }
    if (last && clnn_graph_add_output(g, last) == CLNN_STATUS_OK)
        (void)clnn_graph_validate(g, 1 + (int)(byte(&r) % 2));
    clnn_graph_destroy(g);
    return 0;
}
