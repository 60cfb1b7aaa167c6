/* hvrec_edit: rewrites a .hvrec through the traces library with one deliberate
 * change, so the replay tests can check that hvsim notices it:
 *   hvrec_edit IN OUT flip N COMPONENT   flip bit 0 of checkpoint N's hash of COMPONENT
 *   hvrec_edit IN OUT set KEY VALUE      change (or add) a header config key
 *   hvrec_edit IN OUT move N DELTA       enter input N (and those after it, to keep
 *                                        their order) DELTA instructions later
 * Every chunk is re-encoded, so the CRCs stay valid: only the replay can tell. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/reclog.h"

static int copy(struct reclog_reader *r, struct reclog_writer *w, long flip_cp, const char *flip_comp, long move_in,
                long move_by)
{
    size_t ni = reclog_reader_n_inputs(r), nc = reclog_reader_n_checkpoints(r), ns = reclog_reader_n_snapshots(r);
    size_t i = 0, c = 0, s = 0;
    int e = 0;

    /* Merge the three streams back into file order: by time, inputs before the
     * checkpoint they precede, and a snapshot after the checkpoint it follows. */
    while (!e && (i < ni || c < nc || s < ns)) {
        const struct reclog_input *in = i < ni ? reclog_reader_input(r, i) : NULL;
        const struct reclog_checkpoint *cp = c < nc ? reclog_reader_checkpoint(r, c) : NULL;
        struct reclog_snapshot_info si = { .time = UINT64_MAX, .icount = UINT64_MAX };
        if (s < ns)
            reclog_reader_snapshot_info(r, s, &si);
        bool moved_in = move_in >= 0 && (long)i >= move_in;
        uint64_t ti = in ? in->icount + (moved_in ? (uint64_t)move_by : 0) : UINT64_MAX;
        uint64_t tc = cp ? cp->icount : UINT64_MAX;
        if (in && ti <= tc && ti <= si.icount) {
            struct reclog_input moved = *in;
            if (moved_in)
                moved.icount += (uint64_t)move_by;
            e = reclog_writer_append_input(w, &moved);
            i++;
        } else if (cp && tc <= si.icount) {
            struct reclog_hash h[16];
            struct reclog_checkpoint copy = *cp;
            for (size_t k = 0; k < cp->n_hashes && k < 16; k++) {
                h[k] = cp->hashes[k];
                if ((long)c == flip_cp && !strcmp(h[k].component, flip_comp))
                    h[k].hash ^= 1;
            }
            copy.hashes = h;
            e = reclog_writer_append_checkpoint(w, &copy);
            c++;
        } else {
            void *blob = malloc(si.len ? si.len : 1);
            e = !blob || reclog_reader_snapshot_load(r, s, blob);
            if (!e)
                e = reclog_writer_append_snapshot(w, si.time, si.icount, blob, si.len);
            free(blob);
            s++;
        }
    }
    return e;
}

int main(int argc, char **argv)
{
    if (argc != 6 || (strcmp(argv[3], "flip") && strcmp(argv[3], "set") && strcmp(argv[3], "move"))) {
        fprintf(stderr, "usage: %s IN OUT flip N COMPONENT | IN OUT set KEY VALUE | IN OUT move N DELTA\n", argv[0]);
        return 2;
    }
    struct reclog_reader *r = reclog_reader_open(argv[1], 0);
    if (!r)
        return 1;
    const struct reclog_header *h0 = reclog_reader_header(r);
    struct reclog_header h = *h0;
    struct reclog_kv *kv = calloc(h0->n_config + 1, sizeof *kv);
    int set = !strcmp(argv[3], "set"), move = !strcmp(argv[3], "move"), found = 0;
    for (size_t k = 0; k < h0->n_config; k++) {
        kv[k] = h0->config[k];
        if (set && !strcmp(kv[k].key, argv[4])) {
            kv[k].value = argv[5];
            found = 1;
        }
    }
    if (set && !found)
        kv[h.n_config++] = (struct reclog_kv){ argv[4], argv[5] };
    h.config = kv;

    struct reclog_writer *w = reclog_writer_create(argv[2]);
    if (!w || reclog_writer_write_header(w, &h))
        return 1;
    int e = copy(r, w, set || move ? -1 : strtol(argv[4], NULL, 10), set || move ? "" : argv[5],
                 move ? strtol(argv[4], NULL, 10) : -1, move ? strtol(argv[5], NULL, 10) : 0);
    const struct reclog_end *end = reclog_reader_end(r);
    e |= reclog_writer_close(w, end);
    free(kv);
    reclog_reader_close(r);
    if (e) {
        fprintf(stderr, "hvrec_edit: %s: could not rewrite the log\n", argv[2]);
        return 1;
    }
    return 0;
}
