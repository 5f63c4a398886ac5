/*
 * clnn-info - lists OpenCL platforms and devices with the capabilities clnn uses, the kernel
 * cache directory, the devices a context would select and the tuning database each uses.
 */
#include "clnn.h"

#include "../lib/tune/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clnn-info [--device SEL] [--operators] [--help]\n"
            "\n"
            "Lists every OpenCL platform and device with the capabilities clnn uses, the\n"
            "kernel cache directory, and the devices selected by SEL (default: $CLNN_DEVICES,\n"
            "else 'default' = the first GPU, else the first device) with the tuning database\n"
            "each uses: a file (clnn-bench tune), 'built-in: NAME' (shipped with clnn) or the\n"
            "built-in defaults.\n"
            "\n"
            "SEL is a comma-separated list of: all, default, gpu, cpu, accelerator, P:D\n"
            "(platform and device index), P:* or part of a device, vendor or platform name.\n"
            "--operators prints the supported ONNX operators as README.md's Markdown table.\n"
            "Exit status: 0 on success, 1 when no OpenCL platform or no matching device.\n");
}

static void print_bytes(const char *label, uint64_t b)
{
    if (b >= (1ull << 30))
        printf("    %-22s %.2f GiB\n", label, (double)b / (1ull << 30));
    else if (b >= (1ull << 20))
        printf("    %-22s %.2f MiB\n", label, (double)b / (1ull << 20));
    else
        printf("    %-22s %.1f KiB\n", label, (double)b / 1024);
}

/* The supported operators as the Markdown table README.md holds (a test keeps the two the
 * same). */
static int print_operators(void)
{
    printf("| operator | versions | runs on | notes |\n|---|---|---|---|\n");
    for (size_t i = 0; i < clnn_operator_count(); i++) {
        clnn_operator_info op;
        if (clnn_operator_get(i, &op) != CLNN_STATUS_OK) return 1;
        printf("| %s | ", op.name);
        for (int k = 0; k < op.nversions; k++) printf("%s%d", k ? ", " : "", op.versions[k]);
        printf(" | %s | %s |\n", op.runs, op.notes);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *sel = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            sel = argv[++i];
        } else if (!strncmp(argv[i], "--device=", 9)) {
            sel = argv[i] + 9;
        } else if (!strcmp(argv[i], "--operators")) {
            return print_operators();
        } else {
            fprintf(stderr, "clnn-info: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    clnn_device_info *devs = NULL;
    size_t n = 0;
    clnn_status st = clnn_device_list(&devs, &n);
    if (st != CLNN_STATUS_OK) {
        fprintf(stderr, "clnn-info: %s\n", clnn_last_error());
        return 1;
    }
    printf("clnn %s\n", clnn_version());
    int last_platform = -1;
    for (size_t i = 0; i < n; i++) {
        const clnn_device_info *d = &devs[i];
        if (d->platform_index != last_platform) {
            printf("\nplatform %d: %s (%s)\n", d->platform_index, d->platform_name,
                   d->platform_version);
            last_platform = d->platform_index;
        }
        printf("  device %d:%d  %s [%s]\n", d->platform_index, d->device_index, d->name,
               clnn_device_type_name(d->type));
        printf("    %-22s %s\n", "vendor", d->vendor);
        printf("    %-22s %s\n", "driver version", d->driver_version);
        printf("    %-22s %s / %s\n", "OpenCL", d->device_version, d->opencl_c_version);
        printf("    %-22s %u at %u MHz\n", "compute units", d->compute_units, d->clock_mhz);
        print_bytes("global memory", d->global_mem_bytes);
        print_bytes("max allocation", d->max_alloc_bytes);
        print_bytes("local memory", d->local_mem_bytes);
        if (d->local_mem_is_global) printf("    %-22s %s\n", "", "(local memory is emulated)");
        printf("    %-22s %zu (items %zu x %zu x %zu)\n", "max work-group size",
               d->max_work_group_size, d->max_work_item_sizes[0], d->max_work_item_sizes[1],
               d->max_work_item_sizes[2]);
        printf("    %-22s float %u preferred / %u native, half %u\n", "vector widths",
               d->preferred_vector_width_float, d->native_vector_width_float,
               d->preferred_vector_width_half);
        printf("    %-22s fp16 %s, fp64 %s, unified memory %s\n", "features",
               d->fp16 ? "yes" : "no", d->fp64 ? "yes" : "no",
               d->unified_memory ? "yes" : "no");
    }

    clnn_context *ctx = NULL;
    st = clnn_context_create(sel, &ctx);
    if (st != CLNN_STATUS_OK) {
        fprintf(stderr, "\nclnn-info: %s\n", clnn_last_error());
        clnn_device_list_free(devs);
        return 1;
    }
    const char *cache = clnn_context_cache_dir(ctx);
    printf("\nkernel cache: %s\n", cache ? cache : "disabled (see the warning above)");
    printf("selected devices (%s):\n",
           sel ? sel : (getenv("CLNN_DEVICES") ? "CLNN_DEVICES" : "default"));
    for (size_t i = 0; i < clnn_context_device_count(ctx); i++) {
        clnn_device_info d;
        clnn_context_device_info(ctx, i, &d);
        printf("  %zu: %d:%d %s [%s]\n", i, d.platform_index, d.device_index, d.name,
               clnn_device_type_name(d.type));
        const clnn_tune_db *db = clnn_tune_db_of(ctx, &ctx->devices[i]);
        if (db)
            printf("     tuning database: %s (%zu convolution entries, %zu CLBlast kernels)\n",
                   db->origin, db->nconv, db->nclblast);
        else
            printf("     tuning database: defaults (none for this device; clnn-bench tune "
                   "makes one)\n");
    }
    clnn_context_destroy(ctx);
    clnn_device_list_free(devs);
    return 0;
}
