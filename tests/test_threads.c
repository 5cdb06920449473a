/* test_threads.c - the library keeps no mutable global state: conversions
 * run in several threads at once give the same bytes as one run alone.
 * CI also runs this under ThreadSanitizer (see .ci/run). */
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_THREADS 4
#define ROUNDS 5

typedef struct job {
    const char *input;
    const char *writer;
    char output[256];
    int rc;
    tc_error err;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    for (int r = 0; r < ROUNDS && j->rc == TC_OK; r++) {
        /* Each thread has its own registry: loading is part of what runs at once. */
        tc_registry *reg = tc_registry_new();
        tc_registry_add_search_dirs(reg, NULL, 0, true);
        const char *inputs[] = {j->input};
        tc_convert_spec spec = {.writer = j->writer, .inputs = inputs, .n_inputs = 1,
                                .output = j->output};
        j->rc = tc_convert(reg, &spec, &j->err);
        tc_registry_free(reg);
    }
    return NULL;
}

START_TEST(parallel_conversions_agree)
{
    char *seed = tu_path("THREADCONV_SHARED", "seeds/000_e8c5bdb5bae043fe.txt");
    char *current = tu_path("THREADCONV_SHARED", "conformance/mumsnet/current-layout.txt");
    char dir[] = "/tmp/tc-threads-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    static const char *const writers[] = {"json", "jsonl"};
    job jobs[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].input = i % 2 ? current : seed;
        jobs[i].writer = writers[(i / 2) % 2];
        snprintf(jobs[i].output, sizeof jobs[i].output, "%s/out-%d", dir, i);
    }
    /* Reference outputs, one at a time. */
    char *expected[N_THREADS];
    size_t expected_len[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        run_job(&jobs[i]);
        ck_assert_msg(jobs[i].rc == TC_OK, "%s", jobs[i].err.text);
        expected[i] = tu_slurp(jobs[i].output, &expected_len[i]);
        ck_assert_uint_gt(expected_len[i], 100);
    }
    pthread_t threads[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        snprintf(jobs[i].output, sizeof jobs[i].output, "%s/par-%d", dir, i);
        ck_assert_int_eq(pthread_create(&threads[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        ck_assert_msg(jobs[i].rc == TC_OK, "thread %d: %s", i, jobs[i].err.text);
        size_t len;
        char *got = tu_slurp(jobs[i].output, &len);
        ck_assert_uint_eq(len, expected_len[i]);
        ck_assert_msg(memcmp(got, expected[i], len) == 0, "thread %d output differs", i);
        free(got);
        free(expected[i]);
        unlink(jobs[i].output);
        snprintf(jobs[i].output, sizeof jobs[i].output, "%s/out-%d", dir, i);
        unlink(jobs[i].output);
    }
    rmdir(dir);
    free(seed);
    free(current);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, parallel_conversions_agree);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
