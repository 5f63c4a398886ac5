/*
 * place.c - placement of layers on devices.
 *
 * HEFT (Topcuoglu, Hariri and Wu, "Performance-effective and low-complexity task scheduling
 * for heterogeneous computing", IEEE TPDS 2002): nodes are ranked by their upward rank (mean
 * cost plus the longest mean path of costs and transfers to an exit), then, highest rank
 * first, each goes to the device where it would finish earliest, counting the transfers of
 * its inputs from other devices. Independent branches thus land on different devices when
 * that finishes sooner.
 */
#include "sched.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#define HUGE_MS 1e30

static double mean_cost(const sched_problem *p, int i)
{
    double s = 0;
    int k = 0;
    for (int d = 0; d < p->ndev; d++)
        if (p->cost[i * p->ndev + d] >= 0) s += p->cost[i * p->ndev + d], k++;
    return k ? s / k : HUGE_MS;
}

/* Mean transfer time of an edge over device pairs (zero on the same device). */
static double mean_transfer(const sched_problem *p, int e)
{
    if (p->ndev < 2) return 0;
    double s = 0;
    for (int a = 0; a < p->ndev; a++)
        for (int b = 0; b < p->ndev; b++)
            if (a != b) s += clnn_transfer_ms(&p->calib[a], &p->calib[b], p->edge_bytes[e]);
    return s / (p->ndev * (double)p->ndev);
}

double clnn_single_device_ms(const sched_problem *p, int d)
{
    double s = 0;
    for (int i = 0; i < p->n; i++) {
        double c = p->cost[i * p->ndev + d];
        if (c < 0) return HUGE_MS;
        s += c;
    }
    return s;
}

typedef struct ranked {
    int i;
    double rank;
} ranked;

static int by_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? 1 : -1;
    return x->i - y->i; /* ties: topological order */
}

void clnn_heft(const sched_problem *p, int *device, int *order, double *makespan)
{
    int n = p->n, nd = p->ndev;
    double *rank = calloc((size_t)n, sizeof *rank), *aft = calloc((size_t)n, sizeof *aft);
    double *avail = calloc((size_t)nd, sizeof *avail);
    ranked *r = malloc((size_t)n * sizeof *r);
    if (!rank || !aft || !avail || !r) {
        /* Out of memory: everything on device 0 in topological order. */
        for (int i = 0; i < n; i++) device[i] = 0, order[i] = i;
        *makespan = clnn_single_device_ms(p, 0);
        free(rank), free(aft), free(avail), free(r);
        return;
    }
    /* Upward ranks, exits first (nodes are in topological order, edges go forward). */
    for (int i = n - 1; i >= 0; i--) {
        double best = 0;
        for (int e = 0; e < p->nedges; e++)
            if (p->edge_from[e] == i) {
                double v = mean_transfer(p, e) + rank[p->edge_to[e]];
                if (v > best) best = v;
            }
        rank[i] = mean_cost(p, i) + best;
    }
    for (int i = 0; i < n; i++) r[i] = (ranked){i, rank[i]};
    qsort(r, (size_t)n, sizeof *r, by_rank);
    double end = 0;
    for (int k = 0; k < n; k++) {
        int i = r[k].i, best_d = -1;
        double best_eft = HUGE_MS, best_est = 0;
        for (int d = 0; d < nd; d++) {
            double c = p->cost[i * nd + d];
            if (c < 0) continue;
            double est = avail[d];
            for (int e = 0; e < p->nedges; e++) {
                if (p->edge_to[e] != i) continue;
                int src = p->edge_from[e];
                double ready = aft[src];
                if (device[src] != d)
                    ready += clnn_transfer_ms(&p->calib[device[src]], &p->calib[d], p->edge_bytes[e]);
                if (ready > est) est = ready;
            }
            if (est + c < best_eft) best_eft = est + c, best_d = d, best_est = est;
        }
        if (best_d < 0) best_d = 0, best_eft = HUGE_MS; /* no device: the caller checks */
        device[i] = best_d;
        aft[i] = best_eft;
        avail[best_d] = best_eft;
        rank[i] = best_est; /* reused: the start time, for the execution order */
        if (best_eft > end) end = best_eft;
    }
    /* Execution order: by predicted start; a node starts after its producers end, so this is
     * a topological order. */
    for (int i = 0; i < n; i++) r[i] = (ranked){i, -rank[i]};
    qsort(r, (size_t)n, sizeof *r, by_rank);
    for (int i = 0; i < n; i++) order[i] = r[i].i;
    *makespan = end;
    free(rank), free(aft), free(avail), free(r);
}
