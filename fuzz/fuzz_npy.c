/*
 * fuzz_npy.c - libFuzzer target for clnn-run's .npy reader (tools/npy.c): any bytes go to
 * npy_parse as the contents of a file. Crashes, sanitizer reports and leaks are findings.
 * Built and run by fuzz/build.sh.
 */
#include "../tools/npy.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_array a;
    char err[512];
    if (npy_parse(data, size, "fuzz.npy", &a, err, sizeof err) == 0) npy_free(&a);
    return 0;
}
