/*
 * conv_select.c - which algorithm and knobs a convolution runs: the built-in heuristic, the
 * choice between the tuning database's entry and the heuristic, and the predicted time the
 * cost model asks for. The database (lib/tune/db.c) only stores and finds entries; this file
 * also answers what the database asks of the algorithms to check a file.
 */
#include "conv.h"

#include <string.h>

/* The heuristic that stands in until the tuning database knows the layer. Thresholds from
 * `clnn-bench conv` on PoCL (README): F(4x4) pays once the product over channels is long
 * and the map holds enough tiles; small maps and short channel counts run direct. */
clnn_conv_algo clnn_conv_heuristic(const conv_shape *s, const clnn_device_info *dev)
{
    (void)dev;
    if (!clnn_conv_dw_def.check(s)) return CLNN_CONV_ALGO_DEPTHWISE;
    if (!clnn_conv_1x1_def.check(s)) return CLNN_CONV_ALGO_GEMM_1X1;
    if (!clnn_conv_winograd4_def.check(s) && s->Cg >= 96 && s->Kg >= 64 && s->P >= 8 &&
        s->Q >= 8)
        return CLNN_CONV_ALGO_WINOGRAD_4X4;
    return CLNN_CONV_ALGO_DIRECT;
}

/* Whether the entry's result for an algorithm can run this layer on this device. */
static bool usable(const clnn_tune_result *r, const conv_shape *s, const clnn_device_info *dev)
{
    const clnn_conv_algo_def *d = r ? clnn_conv_algo_of(r->algo) : NULL;
    const char *why = NULL;
    return d && !d->check(s) && clnn_knobs_valid(r->algo, &r->knobs, &s->p, dev, &why);
}

/* The result an AUTO layer takes from an entry. A winner measured alone, under noise, can
 * lose in the network (Winograd's scratch and extra launches, where direct reads its input
 * in place): a Winograd winner, and any winner other than direct and the heuristic's own
 * pick, stands only when it beat direct by CLNN_CONV_SELECT_MARGIN in the entry's times.
 * Otherwise direct (for Winograd) or the heuristic's algorithm runs, with the entry's knobs
 * for it when it recorded them, else its defaults. */
static const clnn_tune_result *auto_result(const clnn_tune_conv *e, const conv_shape *s,
                                           const clnn_device_info *dev, clnn_conv_algo *fallback)
{
    *fallback = CLNN_CONV_ALGO_AUTO;
    const clnn_tune_result *best = &e->results[e->best];
    const clnn_conv_algo h = clnn_conv_heuristic(s, dev);
    /* Winograd trades accuracy and a transform for fewer products: it must have won
     * clearly, whatever the heuristic says. */
    const bool wino = best->algo == CLNN_CONV_ALGO_WINOGRAD_2X2 ||
                      best->algo == CLNN_CONV_ALGO_WINOGRAD_4X4;
    if (best->algo == CLNN_CONV_ALGO_DIRECT || (best->algo == h && !wino)) return best;
    const clnn_tune_result *direct = clnn_tune_entry_result(e, CLNN_CONV_ALGO_DIRECT);
    if (direct && direct->ms >= best->ms * (1.0 + CLNN_CONV_SELECT_MARGIN)) return best;
    const clnn_conv_algo to = wino ? CLNN_CONV_ALGO_DIRECT : h;
    const clnn_tune_result *r = clnn_tune_entry_result(e, to);
    if (!r) *fallback = to;
    return r;
}

bool clnn_conv_entry_choice(const clnn_tune_conv *e, const conv_shape *s,
                            const clnn_device_info *dev, clnn_conv_algo want,
                            clnn_conv_algo *algo, clnn_knob_config *cfg)
{
    if (!e || e->nresults == 0) return false;
    clnn_conv_algo fallback = CLNN_CONV_ALGO_AUTO;
    const clnn_tune_result *r = want == CLNN_CONV_ALGO_AUTO ? auto_result(e, s, dev, &fallback)
                                                            : clnn_tune_entry_result(e, want);
    if (fallback != CLNN_CONV_ALGO_AUTO) {
        /* An algorithm the entry did not measure: its default knobs. */
        *algo = fallback;
        clnn_knobs_default(*algo, &s->p, dev, cfg);
        return true;
    }
    if (!usable(r, s, dev)) return false;
    *algo = r->algo;
    *cfg = r->knobs;
    return true;
}

/* The entry that decides the layer (the exact shape, else the nearest whose setting
 * applies) and the configuration it gives; NULL when the built-in defaults apply. */
static const clnn_tune_conv *decide(const clnn_tune_db *db, const conv_shape *s,
                                    const clnn_device_info *dev, clnn_conv_algo *algo,
                                    clnn_knob_config *cfg)
{
    if (!db || db->nconv == 0) return NULL;
    clnn_tune_shape key;
    clnn_tune_shape_of(&s->p, &key);
    clnn_conv_algo want = *algo;
    const clnn_tune_conv *e = clnn_tune_db_find(db, &key);
    if (e && clnn_conv_entry_choice(e, s, dev, want, algo, cfg)) return e;
    e = clnn_tune_db_nearest(db, &key, NULL);
    if (e && clnn_conv_entry_choice(e, s, dev, want, algo, cfg)) return e;
    *algo = want;
    return NULL;
}

bool clnn_conv_choose(clnn_context *ctx, size_t device, const clnn_conv_params *p,
                      clnn_conv_algo *algo, clnn_knob_config *cfg)
{
    if (!ctx || !p || device >= ctx->ndevices) return false;
    if (*algo != CLNN_CONV_ALGO_AUTO && !clnn_conv_algo_of(*algo)) return false;
    clnn_device *dev = &ctx->devices[device];
    const clnn_tune_db *db = clnn_tune_db_of(ctx, dev);
    conv_shape s;
    if (!db || clnn_conv_shape_init(NULL, p, &s) != CLNN_STATUS_OK) return false;
    return decide(db, &s, &dev->info, algo, cfg) != NULL;
}

double clnn_conv_predicted_ms(clnn_context *ctx, size_t device, const clnn_conv_params *p)
{
    if (!ctx || !p || device >= ctx->ndevices) return -1;
    clnn_device *dev = &ctx->devices[device];
    const clnn_tune_db *db = clnn_tune_db_of(ctx, dev);
    /* Times measured on other hardware say little about this one. */
    if (!db || !clnn_tune_db_same_device(db, &dev->info)) return -1;
    conv_shape s;
    if (clnn_conv_shape_init(NULL, p, &s) != CLNN_STATUS_OK) return -1;
    clnn_tune_shape key;
    clnn_tune_shape_of(&s.p, &key);
    const clnn_tune_conv *e = clnn_tune_db_find(db, &key);
    clnn_conv_algo algo = CLNN_CONV_ALGO_AUTO;
    clnn_knob_config cfg;
    if (!e || !clnn_conv_entry_choice(e, &s, &dev->info, CLNN_CONV_ALGO_AUTO, &algo, &cfg))
        return -1;
    /* The time of what runs: the chosen algorithm's, when the entry measured that setting. */
    const clnn_tune_result *r = clnn_tune_entry_result(e, algo);
    return r && memcmp(&r->knobs, &cfg, sizeof cfg) == 0 ? r->ms : -1;
}

/* ---- what the tuning database asks (db.h) ----------------------------------------------- */

const clnn_algo_knobs *clnn_tune_algo_knobs(clnn_conv_algo algo) { return clnn_knobs_table(algo); }

const char *clnn_tune_algo_refuses(const clnn_conv_params *p, clnn_conv_algo algo,
                                   const clnn_knob_config *cfg, const clnn_device_info *dev)
{
    const clnn_conv_algo_def *d = clnn_conv_algo_of(algo);
    if (!d) return "unknown algorithm";
    conv_shape s;
    if (clnn_conv_shape_init(NULL, p, &s) != CLNN_STATUS_OK) return "not a valid convolution";
    const char *why = d->check(&s);
    if (why || !cfg) return why;
    return clnn_knobs_valid(algo, cfg, p, dev, &why) ? NULL : why;
}
