/*
 * testutil.h - helpers shared by the cmocka suites: temporary folders, a log capture, and
 * the absolute-or-relative float comparison every op test uses.
 */
#ifndef CLNN_TESTUTIL_H
#define CLNN_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clnn.h"

/* Creates a fresh folder under $TMPDIR (or /tmp); returns a malloc'ed path. */
char *tu_mkdtemp(const char *tag);
/* rm -rf of a folder made by tu_mkdtemp. */
void tu_rmtree(const char *path);
/* Writes a text file; fails the test on error. */
void tu_write_file(const char *dir, const char *name, const char *text);
/* Joins dir/name into a malloc'ed string. */
char *tu_path(const char *dir, const char *name);

/* Captures clnn log lines into a buffer (tu_log_text) while installed. */
void tu_log_capture_begin(void);
void tu_log_capture_end(void);
const char *tu_log_text(void);

/* Deterministic pseudo-random floats in [lo, hi). */
void tu_fill_uniform(float *x, size_t n, uint32_t seed, float lo, float hi);

/* Compares got against want with |got - want| <= atol + rtol * |want|; on the first failure
 * prints `what`, the index and both values and returns 0. */
int tu_allclose(const float *got, const float *want, size_t n, float atol, float rtol,
                const char *what);

/* Whether CLNN_TEST_SMALL is set: suites keep to their small cases (runs under Oclgrind,
 * a simulator; scripts/oclgrind_tests.sh). */
bool tu_small(void);

/* The creation options tests use: devices from $CLNN_DEVICES or the first CPU device. */
clnn_status tu_context(clnn_context **ctx);

/* A context shared by a suite's tests: cmocka group setup / teardown that make and destroy
 * tu_ctx with tu_context. */
extern clnn_context *tu_ctx;
int tu_group_setup(void **state);
int tu_group_teardown(void **state);

#endif
