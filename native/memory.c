/* Integration variables: typed reads of memory and the scenario's plain terms (host.h).
 *
 * pettingretro.integration.memory.Reader compiles a data.json's variables into pr_var rows once;
 * pettingretro.integration.scenario compiles a scenario without scripts or nested done nodes
 * into pr_term rows. Both then run here once per step. The Python decoders stay the reference:
 * tests/integration check these against them on every type string and on random memory.
 */
#include "internal.h"

#include <string.h>

/* The value of one byte for each kind: 0 as it is, 1 two BCD digits (each nibble mod 10),
 * 2 its low nibble mod 10 (memory.py's _DIGITS). */
static inline uint64_t digit(int kind, uint8_t b) {
    switch (kind) {
    case 1:
        return (uint64_t)((b & 0xF) % 10 + ((b >> 4) % 10) * 10);
    case 2:
        return (uint64_t)((b & 0xF) % 10);
    default:
        return b;
    }
}

void pr_read_vars(const struct pr_var *vars, size_t n, uint8_t *const *blocks, int64_t *out,
                  int64_t *prev) {
    if (prev) memcpy(prev, out, n * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        const struct pr_var *v = &vars[i];
        const uint8_t *mem = blocks[v->block];
        uint64_t sum = 0; /* wraps modulo 2**64, as stable-retro's int64 sum does */
        if (v->kind == 0 && v->width == 1) {
            sum = mem[v->index[0]];
        } else {
            for (int j = 0; j < v->width; j++) sum += digit(v->kind, mem[v->index[j]]) * v->shift[j];
        }
        int64_t value = (int64_t)sum;
        if (v->sext) value = (int64_t)(sum << v->sext) >> v->sext;
        out[i] = value & v->mask;
    }
}

typedef __int128 wide; /* deltas of 64-bit values, and -reference, are exact in 128 bits */

static wide apply_op(int op, wide v, wide r) {
    switch (op) {
    case PR_OP_EQUAL:
        return v == r;
    case PR_OP_NEGATIVE_EQUAL:
        return v == -r;
    case PR_OP_NOT_EQUAL:
        return v != r;
    case PR_OP_LESS_THAN:
        return v < r;
    case PR_OP_GREATER_THAN:
        return v > r;
    case PR_OP_LESS_OR_EQUAL:
        return v <= r;
    case PR_OP_GREATER_OR_EQUAL:
        return v >= r;
    case PR_OP_NONZERO:
        return v != 0;
    case PR_OP_ZERO:
        return v == 0;
    case PR_OP_POSITIVE:
        return v > 0;
    case PR_OP_NEGATIVE:
        return v < 0;
    case PR_OP_SIGN:
        return v < 0 ? -1 : v > 0;
    default:
        return v;
    }
}

/* Products and sums rounded one at a time, as Python's floats are: no fused multiply-add. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
int pr_weigh_terms(const struct pr_term *terms, size_t n, const int64_t *values,
                   const int64_t *prev, int done_all, const struct pr_done_node *nodes,
                   size_t nnodes, const double *per_frame, unsigned players, unsigned frames,
                   double *rewards) {
    for (unsigned p = 0; p < players; p++) rewards[p] = per_frame[p] * (double)frames;
    /* per node: does any of its terms (and children) hold, do all */
    uint8_t any[PR_MAX_DONE_NODES + 1], all[PR_MAX_DONE_NODES + 1];
    if (nnodes > PR_MAX_DONE_NODES) nnodes = PR_MAX_DONE_NODES; /* Python refuses more */
    memset(any, 0, nnodes + 1);
    memset(all, 1, nnodes + 1);
    for (size_t i = 0; i < n; i++) {
        const struct pr_term *t = &terms[i];
        wide v = t->delta ? (wide)values[t->var] - (wide)prev[t->var] : (wide)values[t->var];
        v = apply_op(t->op, v, (wide)t->reference);
        if (t->target < 0) {
            size_t node = (size_t)(-1 - (int64_t)t->target);
            if (node > nnodes) continue; /* Python refuses these */
            if (v > 0) any[node] = 1;
            else all[node] = 0;
            continue;
        }
        if ((unsigned)t->target >= players || v == 0) continue;
        double weighed = (double)v;
        weighed = weighed * (v > 0 ? t->reward : t->penalty);
        rewards[t->target] = rewards[t->target] + weighed;
    }
    /* children come after their parents: fold each node into its parent, deepest first */
    for (size_t k = nnodes; k >= 1; k--) {
        const struct pr_done_node *d = &nodes[k - 1];
        int holds = d->all ? all[k] : any[k];
        if (holds) any[d->parent] = 1;
        else all[d->parent] = 0;
    }
    return done_all ? all[0] : any[0];
}

int pr_run_outcome(const struct pr_outcome *o, unsigned frames) {
    pr_read_vars(o->vars, o->nvars, o->blocks, o->values, o->prev);
    if (!o->terms) return 0;
    return pr_weigh_terms(o->terms, o->nterms, o->values, o->prev, o->done_all, o->nodes,
                          o->nnodes, o->per_frame, o->players, frames, o->rewards);
}
