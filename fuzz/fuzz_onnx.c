/*
 * fuzz_onnx.c - libFuzzer target for the ONNX loader. Any bytes go to
 * clnn_graph_load_onnx_buffer with no base folder (so external data is refused rather than
 * read); a graph that loads is destroyed. Crashes, sanitizer reports and leaks are findings.
 * With FUZZ_ONNX_VALIDATE=1 a loaded graph is also validated, which carries the fuzzing on
 * into shape inference. Built and run by fuzz/build.sh.
 */
#include "clnn.h"

#include <stdlib.h>

static int validate;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *v = getenv("FUZZ_ONNX_VALIDATE");
    validate = v && *v == '1';
    clnn_set_log_level(CLNN_LOG_LEVEL_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clnn_graph *g = NULL;
    if (clnn_graph_load_onnx_buffer(data, size, NULL, &g) == CLNN_STATUS_OK && validate)
        (void)clnn_graph_validate(g, 1);
    clnn_graph_destroy(g);
    return 0;
}
