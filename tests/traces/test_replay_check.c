/* Tests for replay checking: a matching replay passes, and each kind of
 * divergence is named at the right checkpoint with the recorded values. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "traces/replay_check.h"

#define NCP 20

static struct reclog_hash rec_h[NCP][4];
static struct reclog_checkpoint rec[NCP];
static struct reclog_hash end_h[4];
static struct reclog_end rec_end;
static const char *const names[4] = { "cpu", "devices", "memory", "network" };

/* Checkpoint k at t = k * 125 ms, with hashes derived from k. */
static void make_record(void)
{
    for (int k = 0; k < NCP; k++) {
        for (int c = 0; c < 4; c++)
            rec_h[k][c] = (struct reclog_hash){ names[c], 0x1000ULL * (uint64_t)k + (uint64_t)c };
        rec[k] = (struct reclog_checkpoint){ (vtime_t)k * 125 * VTIME_MS, 1000ULL * (uint64_t)k,
                                             rec_h[k], 4 };
    }
    for (int c = 0; c < 4; c++)
        end_h[c] = (struct reclog_hash){ names[c], 0xe0dULL + (uint64_t)c };
    rec_end = (struct reclog_end){ 3 * VTIME_S, 99999, 0, end_h, 4 };
}

/* Replay every checkpoint; at checkpoint bad_k use hashes h. Returns the first error. */
static int replay(struct replay_check *c, int bad_k, const struct reclog_hash *h, size_t n)
{
    for (int k = 0; k < NCP; k++) {
        const struct reclog_checkpoint *cp = replay_check_next(c);
        int err;
        cr_assert_eq(cp, &rec[k]);
        err = k == bad_k ? replay_check_checkpoint(c, cp->time, cp->icount, h, n)
                         : replay_check_checkpoint(c, cp->time, cp->icount, rec_h[k], 4);
        if (err)
            return err;
    }
    return HV_OK;
}

Test(replay_check, matching_replay_passes)
{
    struct replay_check *c;

    make_record();
    c = replay_check_create(rec, NCP, &rec_end);
    cr_assert_eq(replay(c, -1, NULL, 0), 0);
    cr_assert_null(replay_check_next(c));
    cr_assert_eq(replay_check_checkpoint(c, 0, 0, end_h, 4), HV_ERANGE);
    cr_assert_eq(replay_check_end(c, 3 * VTIME_S, 99999, 0, end_h, 4), 0);
    cr_assert_eq(replay_check_n_matched(c), NCP);
    cr_assert_not(replay_check_diverged(c));
    cr_assert_str_eq(replay_check_message(c), "");
    replay_check_free(c);
}

Test(replay_check, names_the_first_divergent_checkpoint_and_component)
{
    struct reclog_hash bad[4];
    struct replay_check *c;

    make_record();
    memcpy(bad, rec_h[10], sizeof bad);
    bad[1].hash ^= 0x40; /* devices differ at checkpoint 10, t = 1.25 s */
    c = replay_check_create(rec, NCP, &rec_end);
    cr_assert_eq(replay(c, 10, bad, 4), HV_ECORRUPT);
    cr_assert(replay_check_diverged(c));
    cr_assert_eq(replay_check_n_matched(c), 10);
    cr_assert_str_eq(replay_check_message(c),
                     "diverged at checkpoint 10 (t=1.250000000 s): component 'devices' hash "
                     "0x000000000000a041 != recorded 0x000000000000a001");
    /* Sticky: later calls keep the first message. */
    cr_assert_eq(replay_check_checkpoint(c, rec[11].time, rec[11].icount, rec_h[11], 4), HV_ECORRUPT);
    cr_assert_eq(replay_check_end(c, 0, 0, 0, NULL, 0), HV_ECORRUPT);
    cr_assert(strstr(replay_check_message(c), "checkpoint 10 "));
    replay_check_free(c);
}

Test(replay_check, missing_extra_and_reordered_components)
{
    struct reclog_hash h[5];
    struct replay_check *c;

    make_record();
    c = replay_check_create(rec, NCP, NULL);
    cr_assert_eq(replay(c, 3, rec_h[3], 3), HV_ECORRUPT);
    cr_assert_str_eq(replay_check_message(c),
                     "diverged at checkpoint 3 (t=0.375000000 s): component 'network' missing from the replay");
    replay_check_free(c);

    memcpy(h, rec_h[0], sizeof rec_h[0]);
    h[4] = (struct reclog_hash){ "gpu", 1 };
    c = replay_check_create(rec, NCP, NULL);
    cr_assert_eq(replay(c, 0, h, 5), HV_ECORRUPT);
    cr_assert_str_eq(replay_check_message(c),
                     "diverged at checkpoint 0 (t=0.000000000 s): component 'gpu' is not in the record");
    replay_check_free(c);

    /* The same hashes in another order still match. */
    h[0] = rec_h[5][3];
    h[1] = rec_h[5][2];
    h[2] = rec_h[5][1];
    h[3] = rec_h[5][0];
    c = replay_check_create(rec, NCP, NULL);
    cr_assert_eq(replay(c, 5, h, 4), 0);
    replay_check_free(c);
}

Test(replay_check, instruction_count_and_time_mismatch)
{
    struct replay_check *c;

    make_record();
    c = replay_check_create(rec, NCP, NULL);
    cr_assert_eq(replay_check_checkpoint(c, rec[0].time, rec[0].icount, rec_h[0], 4), 0);
    cr_assert_eq(replay_check_checkpoint(c, rec[1].time, rec[1].icount + 1, rec_h[1], 4), HV_ECORRUPT);
    cr_assert_str_eq(replay_check_message(c),
                     "diverged at checkpoint 1 (t=0.125000000 s): instruction count 1001 != recorded 1000");
    replay_check_free(c);

    c = replay_check_create(rec, NCP, NULL);
    cr_assert_eq(replay_check_checkpoint(c, rec[0].time + 1, rec[0].icount, rec_h[0], 4), HV_ECORRUPT);
    cr_assert_str_eq(replay_check_message(c),
                     "diverged at checkpoint 0 (t=0.000000000 s): replay took it at t=0.000000001 s");
    replay_check_free(c);
}

Test(replay_check, end_checks)
{
    struct reclog_hash h[4];
    struct replay_check *c;

    make_record();
    c = replay_check_create(rec, NCP, &rec_end);
    cr_assert_eq(replay(c, -1, NULL, 0), 0);
    cr_assert_eq(replay_check_end(c, 3 * VTIME_S, 99999, 7, end_h, 4), HV_ECORRUPT);
    cr_assert_str_eq(replay_check_message(c), "diverged at the end (t=3.000000000 s): exit status 7 != recorded 0");
    replay_check_free(c);

    memcpy(h, end_h, sizeof h);
    h[2].hash = 0xbad;
    c = replay_check_create(rec, NCP, &rec_end);
    cr_assert_eq(replay(c, -1, NULL, 0), 0);
    cr_assert_eq(replay_check_end(c, 3 * VTIME_S, 99999, 0, h, 4), HV_ECORRUPT);
    cr_assert(strstr(replay_check_message(c), "at the end (t=3.000000000 s): component 'memory' hash 0x0000000000000bad"),
              "%s", replay_check_message(c));
    replay_check_free(c);

    /* Ending before every checkpoint was reached names the first one missed. */
    c = replay_check_create(rec, NCP, &rec_end);
    cr_assert_eq(replay_check_checkpoint(c, rec[0].time, rec[0].icount, rec_h[0], 4), 0);
    cr_assert_eq(replay_check_end(c, 100 * VTIME_MS, 500, 0, end_h, 4), HV_ECORRUPT);
    cr_assert_str_eq(replay_check_message(c),
                     "diverged at checkpoint 1 (t=0.125000000 s): the replay ended first, at t=0.100000000 s");
    replay_check_free(c);

    /* A salvaged log without an end: matching its checkpoints is a match. */
    c = replay_check_create(rec, 2, NULL);
    cr_assert_eq(replay_check_checkpoint(c, rec[0].time, rec[0].icount, rec_h[0], 4), 0);
    cr_assert_eq(replay_check_checkpoint(c, rec[1].time, rec[1].icount, rec_h[1], 4), 0);
    cr_assert_eq(replay_check_end(c, 7, 7, 1, NULL, 0), 0);
    replay_check_free(c);
}
