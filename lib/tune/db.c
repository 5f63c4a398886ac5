/*
 * db.c - the tuning database: JSON reading (every value checked) and writing, the lookup
 * order device -> vendor and type -> shipped -> defaults, exact and nearest-shape lookups,
 * and the CLBlast parameters it applies. It is data: which algorithm a layer runs is
 * lib/ops/conv_select.c's. See db.h for the format's meaning.
 */
#include "db.h"

#include "clblast.h"

#include <dirent.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Beyond this distance (sum of |log2| ratios: e.g. 4x the channels and 4x the map on each
 * side) a tuned shape says little about another: the built-in defaults apply. */
#define NEAREST_MAX_DISTANCE 6.0

/* ---- shapes ----------------------------------------------------------------------------- */

void clnn_tune_shape_of(const clnn_conv_params *p, clnn_tune_shape *s)
{
    memset(s, 0, sizeof *s);
    s->batch = p->batch;
    s->c = p->in_channels;
    s->h = p->in_height;
    s->w = p->in_width;
    s->k = p->out_channels;
    s->r = p->kernel_h;
    s->s = p->kernel_w;
    s->stride_h = p->stride_h ? p->stride_h : 1;
    s->stride_w = p->stride_w ? p->stride_w : 1;
    s->pad_t = p->pad_top;
    s->pad_l = p->pad_left;
    s->pad_b = p->pad_bottom;
    s->pad_r = p->pad_right;
    s->dil_h = p->dilation_h ? p->dilation_h : 1;
    s->dil_w = p->dilation_w ? p->dilation_w : 1;
    s->groups = p->groups ? p->groups : 1;
}

void clnn_tune_shape_params(const clnn_tune_shape *s, clnn_conv_params *p)
{
    memset(p, 0, sizeof *p);
    p->batch = s->batch;
    p->in_channels = s->c;
    p->in_height = s->h;
    p->in_width = s->w;
    p->out_channels = s->k;
    p->kernel_h = s->r;
    p->kernel_w = s->s;
    p->stride_h = s->stride_h;
    p->stride_w = s->stride_w;
    p->pad_top = s->pad_t;
    p->pad_left = s->pad_l;
    p->pad_bottom = s->pad_b;
    p->pad_right = s->pad_r;
    p->dilation_h = s->dil_h;
    p->dilation_w = s->dil_w;
    p->groups = s->groups;
}

bool clnn_tune_shape_equal(const clnn_tune_shape *a, const clnn_tune_shape *b)
{
    return memcmp(a, b, sizeof *a) == 0; /* plain ints, zeroed padding-free struct */
}

double clnn_tune_shape_flops(const clnn_tune_shape *s)
{
    clnn_conv_params p;
    clnn_tune_shape_params(s, &p);
    int P = 0, Q = 0;
    if (clnn_conv_output_size(&p, &P, &Q) != CLNN_STATUS_OK) return 0;
    return 2.0 * s->batch * s->k * (double)(s->c / s->groups) * s->r * s->s * P * Q;
}

/* ---- the database object ------------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static clnn_tune_db *db_alloc(void) { return calloc(1, sizeof(clnn_tune_db)); }

clnn_status clnn_tune_db_new(const clnn_device_info *dev, clnn_tune_db **out)
{
    *out = NULL;
    clnn_tune_db *db = db_alloc();
    if (!db) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tuning database");
    copy_str(db->vendor, sizeof db->vendor, dev->vendor);
    copy_str(db->device, sizeof db->device, dev->name);
    copy_str(db->driver, sizeof db->driver, dev->driver_version);
    db->type = dev->type;
    *out = db;
    return CLNN_STATUS_OK;
}

void clnn_tune_db_free(clnn_tune_db *db)
{
    if (!db) return;
    free(db->conv);
    free(db->clblast);
    free(db);
}

const clnn_tune_conv *clnn_tune_db_find(const clnn_tune_db *db, const clnn_tune_shape *shape)
{
    for (size_t i = 0; db && i < db->nconv; i++)
        if (clnn_tune_shape_equal(&db->conv[i].shape, shape)) return &db->conv[i];
    return NULL;
}

const clnn_tune_result *clnn_tune_entry_result(const clnn_tune_conv *e, clnn_conv_algo algo)
{
    for (int i = 0; e && i < e->nresults; i++)
        if (e->results[i].algo == algo) return &e->results[i];
    return NULL;
}

/* Layers of one class share what makes a configuration carry over: kernel size, stride,
 * dilation and the kind of grouping (dense, depthwise, or the same group count). */
static bool same_class(const clnn_tune_shape *a, const clnn_tune_shape *b)
{
    if (a->r != b->r || a->s != b->s || a->stride_h != b->stride_h ||
        a->stride_w != b->stride_w || a->dil_h != b->dil_h || a->dil_w != b->dil_w)
        return false;
    bool dw_a = a->groups > 1 && a->groups == a->c, dw_b = b->groups > 1 && b->groups == b->c;
    if (dw_a || dw_b) return dw_a && dw_b;
    return a->groups == b->groups;
}

static double log2_ratio(int a, int b) { return fabs(log2((double)a / (double)b)); }

double clnn_tune_shape_gap(const clnn_tune_shape *a, const clnn_tune_shape *b)
{
    return log2_ratio(a->batch, b->batch) + log2_ratio(a->c, b->c) + log2_ratio(a->h, b->h) +
           log2_ratio(a->w, b->w) + log2_ratio(a->k, b->k);
}

double clnn_tune_shape_distance(const clnn_tune_shape *a, const clnn_tune_shape *b)
{
    return same_class(a, b) ? clnn_tune_shape_gap(a, b) : INFINITY;
}

const clnn_tune_conv *clnn_tune_db_nearest(const clnn_tune_db *db, const clnn_tune_shape *shape,
                                           double *distance)
{
    const clnn_tune_conv *best = NULL;
    double best_d = NEAREST_MAX_DISTANCE;
    for (size_t i = 0; db && i < db->nconv; i++) {
        double d = clnn_tune_shape_distance(&db->conv[i].shape, shape);
        if (d <= best_d) {
            best_d = d;
            best = &db->conv[i];
        }
    }
    if (distance) *distance = best ? best_d : INFINITY;
    return best;
}

clnn_status clnn_tune_db_put(clnn_tune_db *db, const clnn_tune_conv *entry)
{
    for (size_t i = 0; i < db->nconv; i++)
        if (clnn_tune_shape_equal(&db->conv[i].shape, &entry->shape)) {
            db->conv[i] = *entry;
            return CLNN_STATUS_OK;
        }
    if (db->nconv == db->cap_conv) {
        size_t cap = db->cap_conv ? db->cap_conv * 2 : 16;
        clnn_tune_conv *v = realloc(db->conv, cap * sizeof *v);
        if (!v) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tuning database");
        db->conv = v;
        db->cap_conv = cap;
    }
    db->conv[db->nconv++] = *entry;
    return CLNN_STATUS_OK;
}

clnn_status clnn_tune_db_put_clblast(clnn_tune_db *db, const clnn_tune_clblast *entry)
{
    for (size_t i = 0; i < db->nclblast; i++)
        if (!strcmp(db->clblast[i].kernel, entry->kernel)) {
            db->clblast[i] = *entry;
            return CLNN_STATUS_OK;
        }
    if (db->nclblast == db->cap_clblast) {
        size_t cap = db->cap_clblast ? db->cap_clblast * 2 : 4;
        clnn_tune_clblast *v = realloc(db->clblast, cap * sizeof *v);
        if (!v) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tuning database");
        db->clblast = v;
        db->cap_clblast = cap;
    }
    db->clblast[db->nclblast++] = *entry;
    return CLNN_STATUS_OK;
}

/* ---- keys and paths --------------------------------------------------------------------- */

bool clnn_tune_db_is_for(const clnn_tune_db *db, const clnn_device_info *dev)
{
    return clnn_tune_db_same_device(db, dev) && !strcmp(db->driver, dev->driver_version);
}

bool clnn_tune_db_same_device(const clnn_tune_db *db, const clnn_device_info *dev)
{
    return !strcmp(db->vendor, dev->vendor) && !strcmp(db->device, dev->name) &&
           db->type == dev->type;
}

char *clnn_tune_db_path(const char *cache_dir, const clnn_device_info *dev)
{
    if (!cache_dir) return NULL;
    clnn_hasher hs, *h = &hs;
    clnn_hasher_init(h);
    clnn_hasher_add_str(h, dev->vendor);
    clnn_hasher_add_str(h, dev->name);
    clnn_hasher_add_str(h, dev->driver_version);
    char hex[33];
    clnn_hash_hex(clnn_hasher_finish(h), hex);
    size_t n = strlen(cache_dir) + 48;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/tune-%s.json", cache_dir, hex);
    return p;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct reader {
    char *why;
    size_t cap;
    bool failed;
} reader;

static bool bad(reader *r, const char *fmt, ...) CLNN_PRINTF(2, 3);
static bool bad(reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, r->cap, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    return false;
}

static json_object *member(json_object *o, const char *name)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object)) return NULL;
    return json_object_object_get_ex(o, name, &v) ? v : NULL;
}

/* An integer member within [lo, hi]. */
static bool get_int(reader *r, json_object *o, const char *name, long lo, long hi, int *out,
                    const char *where)
{
    json_object *v = member(o, name);
    if (!v || !json_object_is_type(v, json_type_int))
        return bad(r, "%s: '%s' is missing or not an integer", where, name);
    int64_t x = json_object_get_int64(v);
    if (x < lo || x > hi)
        return bad(r, "%s: '%s' is %lld, outside [%ld, %ld]", where, name, (long long)x, lo, hi);
    *out = (int)x;
    return true;
}

/* An array member of exactly n integers within [lo, hi]. */
static bool get_ints(reader *r, json_object *o, const char *name, int n, long lo, long hi,
                     int *out, const char *where)
{
    json_object *v = member(o, name);
    if (!v || !json_object_is_type(v, json_type_array) || (int)json_object_array_length(v) != n)
        return bad(r, "%s: '%s' must be an array of %d integers", where, name, n);
    for (int i = 0; i < n; i++) {
        json_object *x = json_object_array_get_idx(v, (size_t)i);
        if (!json_object_is_type(x, json_type_int))
            return bad(r, "%s: '%s' must be an array of %d integers", where, name, n);
        int64_t y = json_object_get_int64(x);
        if (y < lo || y > hi)
            return bad(r, "%s: '%s'[%d] is %lld, outside [%ld, %ld]", where, name, i,
                       (long long)y, lo, hi);
        out[i] = (int)y;
    }
    return true;
}

/* A number member: finite, within [lo, hi]. */
static bool get_ms(reader *r, json_object *o, const char *name, double lo, double hi,
                   double *out, const char *where)
{
    json_object *v = member(o, name);
    if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
        return bad(r, "%s: '%s' is missing or not a number", where, name);
    double x = json_object_get_double(v);
    if (!isfinite(x) || x < lo || x > hi)
        return bad(r, "%s: '%s' is %g, outside [%g, %g]", where, name, x, lo, hi);
    *out = x;
    return true;
}

static bool get_str(reader *r, json_object *o, const char *name, char *out, size_t cap,
                    const char *where)
{
    json_object *v = member(o, name);
    if (!v || !json_object_is_type(v, json_type_string))
        return bad(r, "%s: '%s' is missing or not a string", where, name);
    const char *s = json_object_get_string(v);
    if (strlen(s) >= cap) return bad(r, "%s: '%s' is longer than %zu characters", where, name, cap - 1);
    copy_str(out, cap, s);
    return true;
}

static clnn_conv_algo algo_by_name(const char *name)
{
    for (int a = 1; a < CLNN_CONV_ALGO_COUNT; a++)
        if (!strcmp(name, clnn_conv_algo_name((clnn_conv_algo)a))) return (clnn_conv_algo)a;
    return CLNN_CONV_ALGO_AUTO;
}

/* Knobs as {"NAME": value}: every knob of the algorithm, each a value of its table. */
static bool read_knobs(reader *r, json_object *o, clnn_conv_algo algo, clnn_knob_config *cfg,
                       const char *where)
{
    const clnn_algo_knobs *t = clnn_tune_algo_knobs(algo);
    if (!o || !json_object_is_type(o, json_type_object))
        return bad(r, "%s: 'knobs' must be an object", where);
    if (json_object_object_length(o) != t->nknobs)
        return bad(r, "%s: %s has %d knobs, the file gives %d", where,
                   clnn_conv_algo_name(algo), t->nknobs, json_object_object_length(o));
    memset(cfg, 0, sizeof *cfg);
    for (int i = 0; i < t->nknobs; i++) {
        const clnn_knob_def *k = &t->knobs[i];
        if (!get_int(r, o, k->name, k->values[0], k->values[k->nvalues - 1], &cfg->v[i], where))
            return false;
        bool listed = false;
        for (int j = 0; j < k->nvalues; j++) listed |= k->values[j] == cfg->v[i];
        if (!listed)
            return bad(r, "%s: knob %s=%d is not a value of its table", where, k->name, cfg->v[i]);
    }
    return true;
}

static bool read_shape(reader *r, json_object *o, clnn_tune_shape *s, const char *where)
{
    const long big = 1 << 24;
    int stride[2], pad[4], dil[2];
    bool ok = get_int(r, o, "batch", 1, big, &s->batch, where) &&
              get_int(r, o, "C", 1, big, &s->c, where) && get_int(r, o, "H", 1, big, &s->h, where) &&
              get_int(r, o, "W", 1, big, &s->w, where) && get_int(r, o, "K", 1, big, &s->k, where) &&
              get_int(r, o, "R", 1, big, &s->r, where) && get_int(r, o, "S", 1, big, &s->s, where) &&
              get_ints(r, o, "stride", 2, 1, big, stride, where) &&
              get_ints(r, o, "pad", 4, 0, big, pad, where) &&
              get_ints(r, o, "dilation", 2, 1, big, dil, where) &&
              get_int(r, o, "groups", 1, big, &s->groups, where);
    if (!ok) return false;
    s->stride_h = stride[0], s->stride_w = stride[1];
    s->pad_t = pad[0], s->pad_l = pad[1], s->pad_b = pad[2], s->pad_r = pad[3];
    s->dil_h = dil[0], s->dil_w = dil[1];
    if (s->c % s->groups || s->k % s->groups)
        return bad(r, "%s: channels are not divisible by groups", where);
    long long eff_h = (long long)s->dil_h * (s->r - 1) + 1, eff_w = (long long)s->dil_w * (s->s - 1) + 1;
    if (eff_h > (long long)s->h + s->pad_t + s->pad_b || eff_w > (long long)s->w + s->pad_l + s->pad_r)
        return bad(r, "%s: the kernel is larger than the padded input", where);
    return true;
}

static bool read_conv(reader *r, json_object *o, const clnn_device_info *dev, clnn_tune_conv *e,
                      int index)
{
    char where[48];
    snprintf(where, sizeof where, "conv entry %d", index);
    memset(e, 0, sizeof *e);
    if (!json_object_is_type(o, json_type_object)) return bad(r, "%s is not an object", where);
    if (!read_shape(r, o, &e->shape, where)) return false;
    clnn_conv_params p;
    clnn_tune_shape_params(&e->shape, &p);
    if (clnn_conv_output_size(&p, NULL, NULL) != CLNN_STATUS_OK)
        return bad(r, "%s: not a valid convolution", where);
    if (member(o, "layer") && !get_str(r, o, "layer", e->name, sizeof e->name, where)) return false;
    json_object *v = member(o, "complete");
    if (!v || !json_object_is_type(v, json_type_boolean))
        return bad(r, "%s: 'complete' is missing or not a boolean", where);
    e->complete = json_object_get_boolean(v);
    if (!get_ms(r, o, "default_ms", 0, 1e7, &e->default_ms, where)) return false;
    char best[32];
    if (!get_str(r, o, "best", best, sizeof best, where)) return false;

    json_object *algos = member(o, "algorithms");
    if (!algos || !json_object_is_type(algos, json_type_object))
        return bad(r, "%s: 'algorithms' must be an object", where);
    e->best = -1;
    json_object_object_foreach(algos, name, res)
    {
        clnn_conv_algo a = algo_by_name(name);
        if (a == CLNN_CONV_ALGO_AUTO) return bad(r, "%s: unknown algorithm '%s'", where, name);
        if (e->nresults >= CLNN_CONV_ALGO_COUNT || clnn_tune_entry_result(e, a))
            return bad(r, "%s: algorithm '%s' is listed twice", where, name);
        const char *why = clnn_tune_algo_refuses(&p, a, NULL, dev);
        if (why)
            return bad(r, "%s: algorithm '%s' does not apply to this shape: %s", where, name, why);
        clnn_tune_result *t = &e->results[e->nresults];
        t->algo = a;
        char w2[96];
        snprintf(w2, sizeof w2, "%s, %s", where, name);
        if (!read_knobs(r, member(res, "knobs"), a, &t->knobs, w2)) return false;
        why = clnn_tune_algo_refuses(&p, a, &t->knobs, dev);
        if (why) return bad(r, "%s: knobs not valid on this device: %s", w2, why);
        if (!get_ms(r, res, "ms", 1e-6, 1e7, &t->ms, w2) ||
            !get_int(r, res, "tried", 1, 1 << 30, &t->tried, w2))
            return false;
        if (!strcmp(name, best)) e->best = e->nresults;
        e->nresults++;
    }
    if (e->best < 0) return bad(r, "%s: the best algorithm '%s' has no result", where, best);

    json_object *rej = member(o, "rejected");
    if (rej) {
        if (!json_object_is_type(rej, json_type_array))
            return bad(r, "%s: 'rejected' must be an array", where);
        size_t n = json_object_array_length(rej);
        if (n > CLNN_TUNE_MAX_REJECTS) return bad(r, "%s: too many rejected candidates", where);
        for (size_t i = 0; i < n; i++) {
            json_object *x = json_object_array_get_idx(rej, i);
            clnn_tune_reject *t = &e->rejects[i];
            char an[32];
            if (!get_str(r, x, "algorithm", an, sizeof an, where)) return false;
            t->algo = algo_by_name(an);
            if (t->algo == CLNN_CONV_ALGO_AUTO)
                return bad(r, "%s: unknown algorithm '%s' in 'rejected'", where, an);
            if (!read_knobs(r, member(x, "knobs"), t->algo, &t->knobs, where) ||
                !get_str(r, x, "reason", t->reason, sizeof t->reason, where))
                return false;
        }
        e->nrejects = (int)n;
    }
    e->rejects_total = e->nrejects;
    if (member(o, "rejected_total") &&
        !get_int(r, o, "rejected_total", e->nrejects, 1 << 30, &e->rejects_total, where))
        return false;
    return true;
}

static bool read_clblast(reader *r, json_object *o, const clnn_device_info *dev,
                         clnn_tune_clblast *e, int index)
{
    char where[48];
    snprintf(where, sizeof where, "clblast entry %d", index);
    memset(e, 0, sizeof *e);
    if (!get_str(r, o, "kernel", e->kernel, sizeof e->kernel, where)) return false;
    json_object *params = member(o, "parameters");
    if (!params || !json_object_is_type(params, json_type_object))
        return bad(r, "%s: 'parameters' must be an object", where);
    if (json_object_object_length(params) > CLNN_TUNE_MAX_PARAMS)
        return bad(r, "%s: too many parameters", where);
    json_object_object_foreach(params, name, val)
    {
        if (strlen(name) >= sizeof e->names[0] || !json_object_is_type(val, json_type_int))
            return bad(r, "%s: parameter '%s' is not a short name with an integer", where, name);
        int64_t x = json_object_get_int64(val);
        if (x < 0 || x > 4096) return bad(r, "%s: parameter %s=%lld is out of range", where, name,
                                         (long long)x);
        copy_str(e->names[e->nparams], sizeof e->names[0], name);
        e->values[e->nparams++] = (size_t)x;
    }
    const char *why = clnn_clblast_entry_check(e, dev);
    if (why) return bad(r, "%s (%s): %s", where, e->kernel, why);
    json_object *shapes = member(o, "shapes");
    if (!shapes || !json_object_is_type(shapes, json_type_array) ||
        json_object_array_length(shapes) > CLNN_TUNE_MAX_FC_SHAPES)
        return bad(r, "%s: 'shapes' must be an array of at most %d", where,
                   CLNN_TUNE_MAX_FC_SHAPES);
    for (size_t i = 0; i < json_object_array_length(shapes); i++) {
        json_object *x = json_object_array_get_idx(shapes, i);
        clnn_tune_fc_shape *s = &e->shapes[i];
        json_object *tb = member(x, "trans_b");
        if (!get_int(r, x, "m", 1, 1 << 24, &s->m, where) ||
            !get_int(r, x, "n", 1, 1 << 24, &s->n, where) ||
            !get_int(r, x, "k", 1, 1 << 24, &s->k, where) ||
            !get_ms(r, x, "ms", 1e-6, 1e7, &s->ms, where) ||
            !get_ms(r, x, "default_ms", 1e-6, 1e7, &s->default_ms, where))
            return false;
        if (!tb || !json_object_is_type(tb, json_type_boolean))
            return bad(r, "%s: 'trans_b' must be a boolean", where);
        s->trans_b = json_object_get_boolean(tb);
        e->nshapes++;
    }
    return true;
}

static bool type_by_name(const char *name, clnn_device_type *t)
{
    static const clnn_device_type types[] = {CLNN_DEVICE_TYPE_CPU, CLNN_DEVICE_TYPE_GPU,
                                             CLNN_DEVICE_TYPE_ACCELERATOR, CLNN_DEVICE_TYPE_OTHER};
    for (size_t i = 0; i < CLNN_ARRAY_LEN(types); i++)
        if (!strcmp(name, clnn_device_type_name(types[i]))) {
            *t = types[i];
            return true;
        }
    return false;
}

/* The format and device key only: enough to see whether a file is meant for a device. */
static bool read_key(reader *r, json_object *root, clnn_tune_db *db)
{
    if (!root || !json_object_is_type(root, json_type_object))
        return bad(r, "not a JSON object (truncated or corrupt)");
    int format = 0;
    json_object *f = member(root, "format");
    if (!f || !json_object_is_type(f, json_type_int))
        return bad(r, "no format version: not a clnn tuning database");
    if (json_object_get_int64(f) > CLNN_TUNE_FORMAT)
        return bad(r, "format %lld is newer than this library reads (%d): update clnn or "
                      "re-tune",
                   (long long)json_object_get_int64(f), CLNN_TUNE_FORMAT);
    if (!get_int(r, root, "format", CLNN_TUNE_FORMAT, CLNN_TUNE_FORMAT, &format, "database"))
        return false;
    json_object *d = member(root, "device");
    char type[32];
    if (!get_str(r, d, "vendor", db->vendor, sizeof db->vendor, "device") ||
        !get_str(r, d, "name", db->device, sizeof db->device, "device") ||
        !get_str(r, d, "driver", db->driver, sizeof db->driver, "device") ||
        !get_str(r, d, "type", type, sizeof type, "device"))
        return false;
    if (!type_by_name(type, &db->type)) return bad(r, "device: unknown type '%s'", type);
    return true;
}

static bool read_body(reader *r, json_object *root, const clnn_device_info *dev, clnn_tune_db *db)
{
    json_object *conv = member(root, "conv"), *clb = member(root, "clblast");
    if (!conv || !json_object_is_type(conv, json_type_array))
        return bad(r, "'conv' must be an array");
    for (size_t i = 0; i < json_object_array_length(conv); i++) {
        clnn_tune_conv e;
        if (!read_conv(r, json_object_array_get_idx(conv, i), dev, &e, (int)i)) return false;
        if (clnn_tune_db_find(db, &e.shape)) return bad(r, "conv entry %zu repeats a shape", i);
        if (clnn_tune_db_put(db, &e) != CLNN_STATUS_OK) return bad(r, "out of memory");
    }
    if (clb) {
        if (!json_object_is_type(clb, json_type_array)) return bad(r, "'clblast' must be an array");
        for (size_t i = 0; i < json_object_array_length(clb); i++) {
            clnn_tune_clblast e;
            if (!read_clblast(r, json_object_array_get_idx(clb, i), dev, &e, (int)i)) return false;
            if (clnn_tune_db_put_clblast(db, &e) != CLNN_STATUS_OK) return bad(r, "out of memory");
        }
    }
    return true;
}

static json_object *parse_json(reader *r, const char *text)
{
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        bad(r, "out of memory");
        return NULL;
    }
    json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error err = json_tokener_get_error(tok);
    if (!root || err != json_tokener_success) {
        bad(r, "not valid JSON (%s): truncated or corrupt",
            err == json_tokener_continue ? "ends early" : json_tokener_error_desc(err));
        json_object_put(root);
        root = NULL;
    } else if (json_tokener_get_parse_end(tok) < strlen(text) &&
               text[json_tokener_get_parse_end(tok) + strspn(text + json_tokener_get_parse_end(tok),
                                                             " \t\r\n")] != '\0') {
        bad(r, "text after the JSON object: corrupt");
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    return root;
}

bool clnn_tune_db_parse(const char *text, const char *origin, const clnn_device_info *dev,
                        clnn_tune_db **out, char *why, size_t why_cap)
{
    reader r = {why, why_cap, false};
    *out = NULL;
    json_object *root = parse_json(&r, text);
    clnn_tune_db *db = root ? db_alloc() : NULL;
    if (root && !db) bad(&r, "out of memory");
    bool ok = db && read_key(&r, root, db) && read_body(&r, root, dev, db);
    json_object_put(root);
    if (!ok) {
        clnn_tune_db_free(db);
        return false;
    }
    copy_str(db->origin, sizeof db->origin, origin);
    *out = db;
    return true;
}

bool clnn_tune_db_load_file(const char *path, const clnn_device_info *dev, clnn_tune_db **db,
                            char *why, size_t why_cap)
{
    char *text = NULL;
    size_t len = 0;
    *db = NULL;
    int rc = clnn_read_file(path, CLNN_TUNE_MAX_FILE, &text, &len);
    if (rc) {
        snprintf(why, why_cap, "cannot read it: %s", strerror(rc));
        return false;
    }
    bool ok = strlen(text) == len ? clnn_tune_db_parse(text, path, dev, db, why, why_cap)
                                  : (snprintf(why, why_cap, "it holds NUL bytes: corrupt"), false);
    free(text);
    return ok;
}

/* ---- writing ------------------------------------------------------------------------------ */

static json_object *ms_value(double ms)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.4f", ms);
    return json_object_new_double_s(ms, buf);
}

static json_object *ints_value(const int *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) json_object_array_add(a, json_object_new_int(v[i]));
    return a;
}

static json_object *knobs_value(clnn_conv_algo algo, const clnn_knob_config *cfg)
{
    const clnn_algo_knobs *t = clnn_tune_algo_knobs(algo);
    json_object *o = json_object_new_object();
    for (int i = 0; t && i < t->nknobs; i++)
        json_object_object_add(o, t->knobs[i].name, json_object_new_int(cfg->v[i]));
    return o;
}

static json_object *conv_value(const clnn_tune_conv *e)
{
    const clnn_tune_shape *s = &e->shape;
    json_object *o = json_object_new_object();
    if (e->name[0]) json_object_object_add(o, "layer", json_object_new_string(e->name));
    json_object_object_add(o, "batch", json_object_new_int(s->batch));
    json_object_object_add(o, "C", json_object_new_int(s->c));
    json_object_object_add(o, "H", json_object_new_int(s->h));
    json_object_object_add(o, "W", json_object_new_int(s->w));
    json_object_object_add(o, "K", json_object_new_int(s->k));
    json_object_object_add(o, "R", json_object_new_int(s->r));
    json_object_object_add(o, "S", json_object_new_int(s->s));
    json_object_object_add(o, "stride", ints_value((int[]){s->stride_h, s->stride_w}, 2));
    json_object_object_add(o, "pad", ints_value((int[]){s->pad_t, s->pad_l, s->pad_b, s->pad_r}, 4));
    json_object_object_add(o, "dilation", ints_value((int[]){s->dil_h, s->dil_w}, 2));
    json_object_object_add(o, "groups", json_object_new_int(s->groups));
    json_object_object_add(o, "complete", json_object_new_boolean(e->complete));
    json_object_object_add(o, "default_ms", ms_value(e->default_ms));
    json_object_object_add(o, "best",
                           json_object_new_string(clnn_conv_algo_name(e->results[e->best].algo)));
    json_object *algos = json_object_new_object();
    for (int i = 0; i < e->nresults; i++) {
        const clnn_tune_result *t = &e->results[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "knobs", knobs_value(t->algo, &t->knobs));
        json_object_object_add(x, "ms", ms_value(t->ms));
        json_object_object_add(x, "tried", json_object_new_int(t->tried));
        json_object_object_add(algos, clnn_conv_algo_name(t->algo), x);
    }
    json_object_object_add(o, "algorithms", algos);
    json_object *rej = json_object_new_array();
    for (int i = 0; i < e->nrejects; i++) {
        const clnn_tune_reject *t = &e->rejects[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "algorithm", json_object_new_string(clnn_conv_algo_name(t->algo)));
        json_object_object_add(x, "knobs", knobs_value(t->algo, &t->knobs));
        json_object_object_add(x, "reason", json_object_new_string(t->reason));
        json_object_array_add(rej, x);
    }
    json_object_object_add(o, "rejected", rej);
    json_object_object_add(o, "rejected_total", json_object_new_int(e->rejects_total));
    return o;
}

static json_object *clblast_value(const clnn_tune_clblast *e)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kernel", json_object_new_string(e->kernel));
    json_object *params = json_object_new_object();
    for (int i = 0; i < e->nparams; i++)
        json_object_object_add(params, e->names[i], json_object_new_int((int)e->values[i]));
    json_object_object_add(o, "parameters", params);
    json_object *shapes = json_object_new_array();
    for (int i = 0; i < e->nshapes; i++) {
        const clnn_tune_fc_shape *s = &e->shapes[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "m", json_object_new_int(s->m));
        json_object_object_add(x, "n", json_object_new_int(s->n));
        json_object_object_add(x, "k", json_object_new_int(s->k));
        json_object_object_add(x, "trans_b", json_object_new_boolean(s->trans_b));
        json_object_object_add(x, "ms", ms_value(s->ms));
        json_object_object_add(x, "default_ms", ms_value(s->default_ms));
        json_object_array_add(shapes, x);
    }
    json_object_object_add(o, "shapes", shapes);
    return o;
}

/* Appends one value as a single line (one layer per line keeps the file diffable). */
static void append_line(clnn_strbuf *sb, json_object *o, bool last)
{
    clnn_strbuf_printf(sb, "    %s%s\n", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_SPACED) : "null",
                       last ? "" : ",");
    json_object_put(o);
}

char *clnn_tune_db_to_json(const clnn_tune_db *db)
{
    json_object *dev = json_object_new_object();
    if (!dev) return NULL;
    json_object_object_add(dev, "vendor", json_object_new_string(db->vendor));
    json_object_object_add(dev, "name", json_object_new_string(db->device));
    json_object_object_add(dev, "driver", json_object_new_string(db->driver));
    json_object_object_add(dev, "type", json_object_new_string(clnn_device_type_name(db->type)));
    clnn_strbuf sb = {0};
    clnn_strbuf_printf(&sb,
                       "{\n  \"format\": %d,\n  \"about\": \"clnn tuning database, written by "
                       "clnn-bench tune (README: Tuning)\",\n  \"device\": %s,\n  \"conv\": [\n",
                       CLNN_TUNE_FORMAT, json_object_to_json_string_ext(dev, JSON_C_TO_STRING_SPACED));
    json_object_put(dev);
    for (size_t i = 0; i < db->nconv; i++) append_line(&sb, conv_value(&db->conv[i]), i + 1 == db->nconv);
    clnn_strbuf_printf(&sb, "  ],\n  \"clblast\": [\n");
    for (size_t i = 0; i < db->nclblast; i++)
        append_line(&sb, clblast_value(&db->clblast[i]), i + 1 == db->nclblast);
    clnn_strbuf_printf(&sb, "  ]\n}\n");
    if (sb.failed) {
        clnn_strbuf_free(&sb);
        return NULL;
    }
    return sb.data;
}

clnn_status clnn_tune_db_save(const clnn_tune_db *db, const char *path)
{
    char *text = clnn_tune_db_to_json(db);
    if (!text) return clnn_fail(NULL, CLNN_STATUS_OUT_OF_HOST_MEMORY, "tuning database text");
    int rc = clnn_write_file_atomic(path, text, strlen(text));
    free(text);
    if (rc)
        return clnn_fail(NULL, CLNN_STATUS_IO_ERROR, "cannot write tuning database '%s': %s",
                         path, strerror(rc));
    return CLNN_STATUS_OK;
}

/* ---- which database a device uses ------------------------------------------------------------ */

/* Parses a candidate: NULL (with a warning when damaged) unless it is readable and its key
 * matches the device at least by vendor and type. *rank: 3 same device and driver, 2 same
 * device, 1 same vendor and type. */
static clnn_tune_db *try_candidate(const char *text, const char *origin,
                                   const clnn_device_info *dev, int *rank)
{
    char why[256];
    reader r = {why, sizeof why, false};
    json_object *root = parse_json(&r, text);
    clnn_tune_db key;
    memset(&key, 0, sizeof key);
    if (!root || !read_key(&r, root, &key)) {
        clnn_warn("ignoring tuning database '%s': %s", origin, why);
        json_object_put(root);
        return NULL;
    }
    json_object_put(root);
    if (strcmp(key.vendor, dev->vendor) != 0 || key.type != dev->type) return NULL;
    clnn_tune_db *db = NULL;
    if (!clnn_tune_db_parse(text, origin, dev, &db, why, sizeof why)) {
        clnn_warn("ignoring tuning database '%s': %s", origin, why);
        return NULL;
    }
    *rank = clnn_tune_db_is_for(db, dev) ? 3 : clnn_tune_db_same_device(db, dev) ? 2 : 1;
    return db;
}

/* Keeps the better of two candidates (rank, then entries), freeing the other. */
static void keep_better(clnn_tune_db **best, int *best_rank, clnn_tune_db *db, int rank)
{
    if (!db) return;
    if (!*best || rank > *best_rank ||
        (rank == *best_rank && db->nconv + db->nclblast > (*best)->nconv + (*best)->nclblast)) {
        clnn_tune_db_free(*best);
        *best = db;
        *best_rank = rank;
    } else {
        clnn_tune_db_free(db);
    }
}

static clnn_tune_db *open_cache_dir(const char *dir, const char *own, const clnn_device_info *dev)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    clnn_tune_db *best = NULL;
    int best_rank = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, "tune-", 5) != 0 || n < 10 || strcmp(de->d_name + n - 5, ".json"))
            continue;
        size_t plen = strlen(dir) + n + 2;
        char *path = malloc(plen);
        if (!path) break;
        snprintf(path, plen, "%s/%s", dir, de->d_name);
        char *text = NULL;
        size_t len = 0;
        if (strcmp(path, own) != 0 && clnn_read_file(path, CLNN_TUNE_MAX_FILE, &text, &len) == 0) {
            int rank = 0;
            clnn_tune_db *db = strlen(text) == len ? try_candidate(text, path, dev, &rank) : NULL;
            keep_better(&best, &best_rank, db, rank);
        }
        free(text);
        free(path);
    }
    closedir(d);
    return best;
}

static clnn_tune_db *open_shipped(const clnn_device_info *dev)
{
    clnn_tune_db *best = NULL;
    int best_rank = 0;
    for (size_t i = 0; i < clnn_embedded_tune_db_count; i++) {
        const clnn_embedded_db *e = &clnn_embedded_tune_dbs[i];
        char origin[160];
        snprintf(origin, sizeof origin, "built-in: %s", e->name);
        int rank = 0;
        keep_better(&best, &best_rank, try_candidate((const char *)e->data, origin, dev, &rank),
                    rank);
    }
    return best;
}

clnn_tune_db *clnn_tune_db_open(const char *cache_dir, const clnn_device_info *dev)
{
    char *own = clnn_tune_db_path(cache_dir, dev);
    clnn_tune_db *db = NULL;
    char why[256];
    if (own && access(own, F_OK) == 0) {
        if (!clnn_tune_db_load_file(own, dev, &db, why, sizeof why))
            clnn_warn("ignoring tuning database '%s': %s", own, why);
        else if (!clnn_tune_db_is_for(db, dev)) {
            clnn_warn("ignoring tuning database '%s': it was written for '%s' (%s, driver %s), "
                      "not this device",
                      own, db->device, db->vendor, db->driver);
            clnn_tune_db_free(db);
            db = NULL;
        }
    }
    if (!db && cache_dir) db = open_cache_dir(cache_dir, own ? own : "", dev);
    if (!db) db = open_shipped(dev);
    free(own);
    if (db)
        clnn_debug("device '%s' uses tuning database %s (%zu convolution entries)", dev->name,
                   db->origin, db->nconv);
    return db;
}

const clnn_tune_db *clnn_tune_db_of(clnn_context *ctx, clnn_device *dev)
{
    pthread_mutex_lock(&ctx->lock);
    bool loaded = dev->tune_loaded;
    const clnn_tune_db *db = dev->tune_db;
    pthread_mutex_unlock(&ctx->lock);
    if (loaded) return db;
    /* Loaded outside the lock (file reads, warnings to a user callback); a thread that loses
     * the race frees its copy. */
    clnn_tune_db *fresh = clnn_tune_db_open(ctx->cache_dir, &dev->info);
    pthread_mutex_lock(&ctx->lock);
    if (!dev->tune_loaded) {
        dev->tune_db = fresh;
        dev->tune_loaded = true;
        fresh = NULL;
    }
    db = dev->tune_db;
    pthread_mutex_unlock(&ctx->lock);
    clnn_tune_db_free(fresh);
    return db;
}

/* ---- CLBlast ------------------------------------------------------------------------------- */

void clnn_tune_apply_clblast(clnn_context *ctx, clnn_device *dev)
{
    const clnn_tune_db *db = clnn_tune_db_of(ctx, dev);
    /* Parameters measured on other hardware may be slow or, past its limits, fail. */
    if (!db || db->nclblast == 0 || !clnn_tune_db_same_device(db, &dev->info)) return;
    pthread_mutex_lock(&ctx->lock);
    bool done = dev->clblast_applied;
    dev->clblast_applied = true;
    pthread_mutex_unlock(&ctx->lock);
    if (done) return;
    for (size_t i = 0; i < db->nclblast; i++) {
        int s = clnn_clblast_override(dev->id, &db->clblast[i]);
        if (s != 0)
            clnn_warn("CLBlast refused the tuned parameters of %s from %s (CLBlast status %d); "
                      "it keeps its own",
                      db->clblast[i].kernel, db->origin, s);
        else
            clnn_debug("CLBlast %s: tuned parameters from %s", db->clblast[i].kernel, db->origin);
    }
}
