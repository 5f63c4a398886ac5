/*
 * device.c - OpenCL platform and device discovery, capabilities, and the selection strings
 * of CLNN_DEVICES / clnn_device_select().
 */
#include "../internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PLATFORMS 32
#define MAX_DEVICES_PER_PLATFORM 64

static void get_str(cl_device_id d, cl_device_info what, char *out, size_t cap)
{
    out[0] = '\0';
    if (clGetDeviceInfo(d, what, cap, out, NULL) != CL_SUCCESS) out[0] = '\0';
    out[cap - 1] = '\0';
    /* Some drivers pad names with spaces. */
    size_t n = strlen(out);
    while (n > 0 && isspace((unsigned char)out[n - 1])) out[--n] = '\0';
}

static void get_pstr(cl_platform_id p, cl_platform_info what, char *out, size_t cap)
{
    out[0] = '\0';
    if (clGetPlatformInfo(p, what, cap, out, NULL) != CL_SUCCESS) out[0] = '\0';
    out[cap - 1] = '\0';
}

static uint64_t get_u64(cl_device_id d, cl_device_info what)
{
    cl_ulong v = 0;
    clGetDeviceInfo(d, what, sizeof v, &v, NULL);
    return v;
}

static unsigned get_uint(cl_device_id d, cl_device_info what)
{
    cl_uint v = 0;
    clGetDeviceInfo(d, what, sizeof v, &v, NULL);
    return v;
}

clnn_status clnn_query_device(cl_platform_id platform, cl_device_id device, int pi, int di,
                              clnn_device_info *info)
{
    memset(info, 0, sizeof *info);
    info->platform_index = pi;
    info->device_index = di;
    get_pstr(platform, CL_PLATFORM_NAME, info->platform_name, sizeof info->platform_name);
    get_pstr(platform, CL_PLATFORM_VERSION, info->platform_version,
             sizeof info->platform_version);
    get_str(device, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_str(device, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_str(device, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    get_str(device, CL_DEVICE_VERSION, info->device_version, sizeof info->device_version);
    get_str(device, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version,
            sizeof info->opencl_c_version);

    cl_device_type t = 0;
    clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    info->type = (t & CL_DEVICE_TYPE_GPU)           ? CLNN_DEVICE_TYPE_GPU
                 : (t & CL_DEVICE_TYPE_CPU)         ? CLNN_DEVICE_TYPE_CPU
                 : (t & CL_DEVICE_TYPE_ACCELERATOR) ? CLNN_DEVICE_TYPE_ACCELERATOR
                                                    : CLNN_DEVICE_TYPE_OTHER;
    info->compute_units = get_uint(device, CL_DEVICE_MAX_COMPUTE_UNITS);
    info->clock_mhz = get_uint(device, CL_DEVICE_MAX_CLOCK_FREQUENCY);
    info->global_mem_bytes = get_u64(device, CL_DEVICE_GLOBAL_MEM_SIZE);
    info->max_alloc_bytes = get_u64(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    info->local_mem_bytes = get_u64(device, CL_DEVICE_LOCAL_MEM_SIZE);
    cl_device_local_mem_type lt = CL_LOCAL;
    clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_TYPE, sizeof lt, &lt, NULL);
    info->local_mem_is_global = lt == CL_GLOBAL;
    size_t wg = 0;
    clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    info->max_work_group_size = wg;
    size_t wis[3] = {0, 0, 0};
    clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof wis, wis, NULL);
    memcpy(info->max_work_item_sizes, wis, sizeof wis);
    info->preferred_vector_width_float = get_uint(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT);
    info->native_vector_width_float = get_uint(device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT);
    info->preferred_vector_width_half = get_uint(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_HALF);

    size_t ext_len = 0;
    char *ext = NULL;
    if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_len) == CL_SUCCESS &&
        (ext = malloc(ext_len + 1)) != NULL &&
        clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, ext_len, ext, NULL) == CL_SUCCESS) {
        ext[ext_len] = '\0';
        info->fp16 = strstr(ext, "cl_khr_fp16") != NULL;
        info->fp64 = strstr(ext, "cl_khr_fp64") != NULL;
    }
    free(ext);
    cl_bool unified = CL_FALSE;
    clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL);
    info->unified_memory = unified == CL_TRUE || info->type == CLNN_DEVICE_TYPE_CPU;
    return CLNN_STATUS_OK;
}

clnn_status clnn_device_list(clnn_device_info **devices, size_t *count)
{
    if (!devices || !count)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_device_list: devices and count must not be NULL");
    *devices = NULL;
    *count = 0;
    cl_platform_id plats[MAX_PLATFORMS];
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(MAX_PLATFORMS, plats, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && np == 0))
        return clnn_fail(NULL, CLNN_STATUS_NO_PLATFORM,
                         "no OpenCL platform found: install an OpenCL driver, e.g. "
                         "'apt-get install pocl-opencl-icd' for the CPU, or your GPU vendor's "
                         "OpenCL ICD; check that /etc/OpenCL/vendors (or $OCL_ICD_VENDORS) "
                         "lists it");
    if (err != CL_SUCCESS) return clnn_fail_cl(NULL, err, "clGetPlatformIDs");
    if (np > MAX_PLATFORMS) np = MAX_PLATFORMS;

    size_t cap = 8, n = 0;
    clnn_device_info *list = malloc(cap * sizeof *list);
    if (!list) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_device_list");
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[MAX_DEVICES_PER_PLATFORM];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES_PER_PLATFORM, devs, &nd) !=
            CL_SUCCESS)
            continue; /* a platform without devices is not an error */
        if (nd > MAX_DEVICES_PER_PLATFORM) nd = MAX_DEVICES_PER_PLATFORM;
        for (cl_uint d = 0; d < nd; d++) {
            if (n == cap) {
                clnn_device_info *bigger = realloc(list, 2 * cap * sizeof *list);
                if (!bigger) {
                    free(list);
                    return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_device_list");
                }
                list = bigger;
                cap *= 2;
            }
            clnn_query_device(plats[p], devs[d], (int)p, (int)d, &list[n++]);
        }
    }
    if (n == 0) {
        free(list);
        return clnn_fail(NULL, CLNN_STATUS_NO_PLATFORM,
                         "OpenCL platforms were found but none has a device: check the "
                         "driver installation (e.g. 'apt-get install pocl-opencl-icd')");
    }
    *devices = list;
    *count = n;
    return CLNN_STATUS_OK;
}

void clnn_device_list_free(clnn_device_info *devices) { free(devices); }

const char *clnn_device_type_name(clnn_device_type t)
{
    switch (t) {
    case CLNN_DEVICE_TYPE_CPU: return "CPU";
    case CLNN_DEVICE_TYPE_GPU: return "GPU";
    case CLNN_DEVICE_TYPE_ACCELERATOR: return "accelerator";
    default: return "other";
    }
}

/* Parses a non-negative decimal integer filling the whole of [s, e). */
static bool parse_index(const char *s, const char *e, int *out)
{
    if (s == e || e - s > 6) return false;
    int v = 0;
    for (const char *p = s; p < e; p++) {
        if (!isdigit((unsigned char)*p)) return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

static void describe_devices(clnn_strbuf *sb, const clnn_device_info *devices, size_t n)
{
    clnn_strbuf_printf(sb, "; devices found:");
    for (size_t i = 0; i < n; i++)
        clnn_strbuf_printf(sb, " [%d:%d %s '%s' on '%s']", devices[i].platform_index,
                           devices[i].device_index, clnn_device_type_name(devices[i].type), devices[i].name,
                           devices[i].platform_name);
    if (n == 0) clnn_strbuf_printf(sb, " none");
    clnn_strbuf_printf(sb, "; valid terms: all, default, gpu, cpu, accelerator, P:D, P:*, or "
                           "part of a device, vendor or platform name, separated by commas");
}

clnn_status clnn_device_select(const clnn_device_info *devices, size_t ndevices,
                               const char *selection, size_t **indices, size_t *count)
{
    if (!indices || !count || (!devices && ndevices))
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "clnn_device_select: NULL argument");
    *indices = NULL;
    *count = 0;
    if (!selection || !*selection) selection = "default";
    if (strlen(selection) > 4096)
        return clnn_fail(NULL, CLNN_STATUS_INVALID_ARGUMENT,
                         "device selection string is longer than 4096 characters");

    size_t *out = malloc((ndevices ? ndevices : 1) * sizeof *out);
    bool *taken = calloc(ndevices ? ndevices : 1, sizeof *taken);
    if (!out || !taken) {
        free(out);
        free(taken);
        return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "clnn_device_select");
    }
    size_t n = 0;
    clnn_status st = CLNN_STATUS_OK;
    const char *p = selection;
    while (st == CLNN_STATUS_OK) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        /* trim */
        const char *s = p, *e = end;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        char term[256];
        size_t tl = (size_t)(e - s);
        if (tl == 0 || tl >= sizeof term) {
            clnn_strbuf sb = {0};
            clnn_strbuf_printf(&sb,
                               tl == 0 ? "empty term in device selection '%s'"
                                       : "term too long in device selection '%s'",
                               selection);
            describe_devices(&sb, devices, ndevices);
            st = clnn_fail(NULL, CLNN_STATUS_NO_DEVICE, "%s", sb.data ? sb.data : selection);
            clnn_strbuf_free(&sb);
            break;
        }
        memcpy(term, s, tl);
        term[tl] = '\0';

        bool matched = false;
        const char *colon = strchr(term, ':');
        int pi = -1, di = -1;
        bool is_index = false, all_of_platform = false;
        if (colon && parse_index(term, colon, &pi)) {
            if (strcmp(colon + 1, "*") == 0) {
                is_index = all_of_platform = true;
            } else if (parse_index(colon + 1, term + tl, &di)) {
                is_index = true;
            }
        }
        bool want_default = strcasecmp(term, "default") == 0;
        int default_pick = -1;
        if (want_default) {
            for (size_t i = 0; i < ndevices && default_pick < 0; i++)
                if (devices[i].type == CLNN_DEVICE_TYPE_GPU) default_pick = (int)i;
            if (default_pick < 0 && ndevices > 0) default_pick = 0;
        }
        for (size_t i = 0; i < ndevices; i++) {
            const clnn_device_info *d = &devices[i];
            bool match;
            if (is_index)
                match = d->platform_index == pi && (all_of_platform || d->device_index == di);
            else if (want_default)
                match = (int)i == default_pick;
            else if (strcasecmp(term, "all") == 0)
                match = true;
            else if (strcasecmp(term, "gpu") == 0)
                match = d->type == CLNN_DEVICE_TYPE_GPU;
            else if (strcasecmp(term, "cpu") == 0)
                match = d->type == CLNN_DEVICE_TYPE_CPU;
            else if (strcasecmp(term, "accelerator") == 0 || strcasecmp(term, "accel") == 0)
                match = d->type == CLNN_DEVICE_TYPE_ACCELERATOR;
            else
                match = clnn_contains_nocase(d->name, term) ||
                        clnn_contains_nocase(d->vendor, term) ||
                        clnn_contains_nocase(d->platform_name, term);
            if (match) {
                matched = true;
                if (!taken[i]) {
                    taken[i] = true;
                    out[n++] = i;
                }
            }
        }
        if (!matched) {
            clnn_strbuf sb = {0};
            clnn_strbuf_printf(&sb, "device selection '%s': term '%s' matches no device",
                               selection, term);
            describe_devices(&sb, devices, ndevices);
            st = clnn_fail(NULL, CLNN_STATUS_NO_DEVICE, "%s",
                           sb.data ? sb.data : "device selection matches no device");
            clnn_strbuf_free(&sb);
            break;
        }
        if (*end == '\0') break;
        p = end + 1;
    }
    free(taken);
    if (st != CLNN_STATUS_OK) {
        free(out);
        return st;
    }
    *indices = out;
    *count = n;
    return CLNN_STATUS_OK;
}
