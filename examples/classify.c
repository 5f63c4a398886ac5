/*
 * classify.c - the smallest useful clnn program: loads an ONNX image classifier, runs it on
 * one input and prints the top class and its score.
 *
 *   usage: classify MODEL.onnx [INPUT.raw]
 *
 * INPUT.raw holds the model's input as raw little-endian float32 values (for the bundled
 * Fashion-MNIST model: 28 * 28 pixels / 255, row by row). Without it the input is all zeros.
 * Build outside clnn's tree:  cc classify.c $(pkg-config --cflags --libs clnn) -o classify
 */
#include <clnn.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s MODEL.onnx [INPUT.raw]\n", argv[0]);
        return 2;
    }
    clnn_graph *graph = NULL;
    clnn_context *ctx = NULL;
    clnn_session *session = NULL;
    float *input = NULL, *scores = NULL;
    int rc = 1;

    /* 1. Load the model, choose devices ($CLNN_DEVICES, else the first GPU, else the first
     *    device) and prepare the model on them for one image at a time. Every clnn call
     *    returns 0 on success; clnn_last_error() says what went wrong otherwise. */
    clnn_session_options options = {.batch = 1};
    if (clnn_graph_load_onnx(argv[1], &graph) != CLNN_STATUS_OK ||
        clnn_context_create(NULL, &ctx) != CLNN_STATUS_OK ||
        clnn_session_create(ctx, graph, &options, &session) != CLNN_STATUS_OK) {
        fprintf(stderr, "classify: %s\n", clnn_last_error());
        goto done;
    }

    /* 2. The input and output sizes are the products of their shapes ([1, 1, 28, 28] in,
     *    [1, 10] out for the Fashion-MNIST model). */
    const int64_t *dims;
    size_t ndim, in_count = 1, out_count = 1;
    clnn_session_input_shape(session, NULL, &dims, &ndim);
    for (size_t i = 0; i < ndim; i++) in_count *= (size_t)dims[i];
    clnn_session_output_shape(session, NULL, &dims, &ndim);
    for (size_t i = 0; i < ndim; i++) out_count *= (size_t)dims[i];
    input = calloc(in_count, sizeof *input); /* zeros unless a file is given */
    scores = malloc(out_count * sizeof *scores);
    if (!input || !scores) {
        fprintf(stderr, "classify: out of memory\n");
        goto done;
    }

    /* 3. Read the input file, which must hold exactly in_count floats. */
    if (argc == 3) {
        FILE *f = fopen(argv[2], "rb");
        size_t got = f ? fread(input, sizeof *input, in_count, f) : 0;
        int extra = f ? fgetc(f) : EOF;
        if (f) fclose(f);
        if (got != in_count || extra != EOF) {
            fprintf(stderr, "classify: %s must hold exactly %zu float32 values\n", argv[2],
                    in_count);
            goto done;
        }
    }

    /* 4. Copy the input to the device, run every layer, copy the scores back. NULL names the
     *    model's first input and output. */
    if (clnn_session_set_input(session, NULL, input, in_count) != CLNN_STATUS_OK ||
        clnn_session_run(session) != CLNN_STATUS_OK ||
        clnn_session_get_output(session, NULL, scores, out_count) != CLNN_STATUS_OK) {
        fprintf(stderr, "classify: %s\n", clnn_last_error());
        goto done;
    }

    /* 5. The top class is the index of the largest score. */
    size_t top = 0;
    for (size_t i = 1; i < out_count; i++)
        if (scores[i] > scores[top]) top = i;
    printf("top class %zu of %zu, score %.4f\n", top, out_count, scores[top]);
    rc = 0;

done: /* destroy(NULL) does nothing, so one exit path frees whatever was made */
    free(input);
    free(scores);
    clnn_session_destroy(session);
    clnn_context_destroy(ctx);
    clnn_graph_destroy(graph);
    return rc;
}
