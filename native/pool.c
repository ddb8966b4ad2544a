/* pettingretro's libretro host, pools: worker threads that step many emulators in one call.
 *
 * A pool belongs to one caller (a vector env makes its own), so two callers on two threads step
 * at the same time. Each call splits the emulators into one contiguous range per thread, the
 * caller's thread included; a thread steps its own range first, so it keeps stepping the same
 * emulators from call to call (each one is a private copy of the core's code and data: caches
 * stay warm), then helps with the others'. Every thread owns a scratch row for the area resize,
 * made when the thread starts: stepping allocates nothing.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pr_job {
    pr_emu **emus;
    unsigned n;
    const uint16_t *buttons;
    unsigned frames;
    int video;
    int *rcs;
    const struct pr_obs_spec *spec; /* NULL: step only */
};

/* Thread 0 is the caller's (no pthread); 1.. are workers. */
struct pr_thread {
    pr_pool *pool;
    unsigned id;
    pthread_t tid;
    uint32_t *acc; /* PR_RESIZE_MAX_ROW values */
};

/* One range of emulators: [next, end), its cursor on a cache line of its own. */
struct pr_range {
    unsigned next;
    unsigned end;
    char pad[64 - 2 * sizeof(unsigned)];
};

struct pr_pool {
    pthread_mutex_t mu;
    pthread_cond_t work;
    pthread_cond_t done;
    int busy; /* a call is running: a second caller gets PR_EBUSY */
    int closed;
    int stop;
    unsigned nthreads; /* started, the caller's included */
    struct pr_thread threads[PR_MAX_THREADS];
    unsigned long generation;
    unsigned helpers; /* workers taking part in the current job: ids 1..helpers */
    unsigned finished;
    unsigned nranges;
    struct pr_job job;
    struct pr_range ranges[PR_MAX_THREADS];
    char err[512];
};

static int pool_fail(pr_pool *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pool_fail(pr_pool *p, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    return code;
}

/* ---------------------------------------------------------------- one emulator's work */

/* The RAM observation: SYSTEM_RAM, then the listed regions of the memory map, looked up now. */
static int gather_ram(pr_emu *e, const struct pr_obs_spec *s, uint8_t *dst) {
    size_t size = 0, at, extra = 0;
    for (unsigned r = 0; r < s->nregions; r++) extra += s->region_len[r];
    const uint8_t *ram = pr_memory(e, PR_MEMORY_SYSTEM_RAM, &size);
    if (!ram || size + extra != s->frame_stride)
        return pr_fail(e, PR_EINVAL, "the system RAM is %zu bytes; the observation expects %zu",
                       size, s->frame_stride - extra);
    memcpy(dst, ram, size);
    at = size;
    for (unsigned r = 0; r < s->nregions; r++) {
        const struct pr_memdesc *d = NULL;
        for (unsigned m = 0; m < e->nmaps && !d; m++)
            if (e->maps[m].start == s->region_start[r] && e->maps[m].ptr &&
                e->maps[m].len >= s->region_len[r])
                d = &e->maps[m];
        if (!d)
            return pr_fail(e, PR_EINVAL, "the core's memory map has no %llu-byte region at 0x%llx",
                           (unsigned long long)s->region_len[r],
                           (unsigned long long)s->region_start[r]);
        memcpy(dst + at, d->ptr + d->offset, s->region_len[r]);
        at += s->region_len[r];
    }
    return PR_OK;
}

/* Shift row `r` one frame older and put `src` (height x width x channels) last. */
static void row_push(const struct pr_rows_spec *w, uint8_t *r, const uint8_t *src) {
    size_t pixels = (size_t)w->height * w->width, c = w->channels;
    size_t frame = pixels * c, keep = (size_t)(w->stack - 1) * c;
    if (w->planes) {
        if (w->stack > 1) memmove(r, r + frame, (w->stack - 1) * frame);
        uint8_t *d = r + (w->stack - 1) * frame;
        if (c == 1) {
            memcpy(d, src, frame);
        } else {
            for (size_t p = 0; p < pixels; p++)
                for (size_t k = 0; k < c; k++) d[k * pixels + p] = src[p * c + k];
        }
        return;
    }
    if (w->pixel_stride == c) { /* one frame, pixels packed: the frame as it is */
        memcpy(r, src, frame);
        return;
    }
    for (size_t p = 0; p < pixels; p++) {
        uint8_t *d = r + p * w->pixel_stride;
        if (keep) memmove(d, d + c, keep);
        memcpy(d + keep, src + p * c, c);
    }
}

/* Copy row `from`'s stack into row `to` (rows alive since their episode began are equal). */
static void row_copy(const struct pr_rows_spec *w, uint8_t *to, const uint8_t *from) {
    size_t pixels = (size_t)w->height * w->width, span = (size_t)w->stack * w->channels;
    if (w->planes || w->pixel_stride == span) {
        memcpy(to, from, pixels * span);
        return;
    }
    for (size_t p = 0; p < pixels; p++)
        memcpy(to + p * w->pixel_stride, from + p * w->pixel_stride, span);
}

static void row_zero(const struct pr_rows_spec *w, uint8_t *r) {
    size_t pixels = (size_t)w->height * w->width, span = (size_t)w->stack * w->channels;
    if (w->planes || w->pixel_stride == span) {
        memset(r, 0, pixels * span);
        return;
    }
    for (size_t p = 0; p < pixels; p++) memset(r + p * w->pixel_stride, 0, span);
}

/* `direct` rows: where emulator i's frame is made (its first live row), the others after. */
static uint8_t *first_row(const struct pr_rows_spec *w, unsigned i) {
    uint8_t *game = w->rows + (size_t)i * w->game_stride;
    const uint8_t *alive = w->alive ? w->alive + (size_t)i * w->agents : NULL;
    for (unsigned a = 0; alive && a < w->agents; a++)
        if (alive[a]) return game + (size_t)a * w->row_stride;
    return game;
}

static void finish_direct(const struct pr_rows_spec *w, unsigned i, const uint8_t *made,
                          size_t bytes) {
    uint8_t *game = w->rows + (size_t)i * w->game_stride;
    const uint8_t *alive = w->alive ? w->alive + (size_t)i * w->agents : NULL;
    for (unsigned a = 0; a < w->agents; a++) {
        uint8_t *r = game + (size_t)a * w->row_stride;
        if (r == made) continue;
        if (alive && !alive[a])
            memset(r, 0, bytes);
        else
            memcpy(r, made, bytes);
    }
}

static int put_rows(pr_emu *e, const struct pr_rows_spec *w, unsigned i, const uint8_t *src,
                    size_t src_bytes) {
    if (src_bytes != (size_t)w->height * w->width * w->channels)
        return pr_fail(e, PR_EINVAL, "the frame is %zu bytes but the observation rows take %ux%ux%u",
                       src_bytes, w->height, w->width, w->channels);
    uint8_t *game = w->rows + (size_t)i * w->game_stride;
    const uint8_t *alive = w->alive ? w->alive + (size_t)i * w->agents : NULL;
    const uint8_t *first = NULL;
    for (unsigned a = 0; a < w->agents; a++) {
        uint8_t *r = game + (size_t)a * w->row_stride;
        if (alive && !alive[a])
            row_zero(w, r);
        else if (first)
            row_copy(w, r, first);
        else {
            row_push(w, r, src);
            first = r;
        }
    }
    return PR_OK;
}

static int step_obs(pr_emu *e, const uint16_t *buttons, unsigned frames,
                    const struct pr_obs_spec *s, unsigned i, uint32_t *acc) {
    const struct pr_rows_spec *w = s->rows;
    int direct = w && w->direct;
    uint8_t *last = direct ? first_row(w, i) : s->last + (size_t)i * s->frame_stride;
    uint8_t *pooled = s->max_pool ? s->pooled + (size_t)i * s->frame_stride : last;
    size_t size = s->frame_stride;
    int rc;
    if (s->mode == PR_OBS_RAM) {
        rc = pr_step(e, buttons, PR_MAX_PORTS, frames, s->video ? PR_RUN_VIDEO : 0, NULL, 0, 0);
        if (rc < 0) return rc;
        int got = gather_ram(e, s, last);
        if (got) return got;
        if (direct)
            finish_direct(w, i, last, size);
        else if (w && (got = put_rows(e, w, i, last, size)))
            return got;
        return rc;
    }
    if (direct) {
        if ((rc = pr_step(e, buttons, PR_MAX_PORTS, frames, PR_RUN_VIDEO, last, size, s->mode)) < 0)
            return rc;
        finish_direct(w, i, last, size);
        return rc;
    }
    if (s->max_pool) {
        if ((rc = pr_step(e, buttons, PR_MAX_PORTS, frames - 1, PR_RUN_VIDEO, pooled, size, s->mode)) < 0)
            return rc;
        rc = pr_step(e, NULL, 0, 1, PR_RUN_VIDEO | PR_RUN_CONTINUE, last, size, s->mode);
        if (rc < 0) return rc;
        pr_max_into(pooled, last, pr_frame_bytes(e, s->mode));
    } else if ((rc = pr_step(e, buttons, PR_MAX_PORTS, frames, PR_RUN_VIDEO, last, size, s->mode)) < 0) {
        return rc;
    }
    if (s->out_h) {
        unsigned w, h;
        pr_screen_size(e, &w, &h);
        if (w != s->src_w || h != s->src_h)
            return pr_fail(e, PR_EINVAL, "the picture is %ux%u but the resize expects %ux%u", w, h,
                           s->src_w, s->src_h);
        pr_area_resize(pooled, s, acc, s->dst + (size_t)i * s->dst_stride);
    }
    if (s->rows) {
        int got = s->out_h ? put_rows(e, s->rows, i, s->dst + (size_t)i * s->dst_stride,
                                      (size_t)s->out_h * s->out_w * (s->mode == PR_SCREEN_RGB ? 3 : 1))
                           : put_rows(e, s->rows, i, pooled, pr_frame_bytes(e, s->mode));
        if (got) return got;
    }
    return rc;
}

/* A prepared step's per-emulator extras around its frames: paddle motion, then the outcome. */
static int step_game(pr_emu *e, const uint16_t *b, unsigned frames, const struct pr_obs_spec *s,
                     unsigned i, uint32_t *acc) {
    if (s->deltas && e->npaddles) {
        if (e->npaddles > s->ndeltas)
            return pr_fail(e, PR_EINVAL, "the emulator has %u paddles; the step gives %u motions",
                           e->npaddles, s->ndeltas);
        pr_paddles_move(e, s->deltas + (size_t)i * s->ndeltas);
    }
    int rc = step_obs(e, b, frames, s, i, acc);
    if (rc >= 0 && s->outcomes) s->over[i] = (uint8_t)pr_run_outcome(&s->outcomes[i], frames);
    return rc;
}

static void step_one(const struct pr_job *j, unsigned i, uint32_t *acc) {
    const uint16_t *b = j->buttons + (size_t)i * PR_MAX_PORTS;
    j->rcs[i] = j->spec ? step_game(j->emus[i], b, j->frames, j->spec, i, acc)
                        : pr_step(j->emus[i], b, PR_MAX_PORTS, j->frames,
                                  j->video ? PR_RUN_VIDEO : 0, NULL, 0, 0);
}

/* Thread `me` steps its own range, then takes what is left of the others'. */
static void drain(pr_pool *p, unsigned me) {
    uint32_t *acc = p->threads[me].acc;
    for (unsigned k = 0; k < p->nranges; k++) {
        struct pr_range *r = &p->ranges[(me + k) % p->nranges];
        for (;;) {
            unsigned i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
            if (i >= r->end) break;
            step_one(&p->job, i, acc);
        }
    }
}

static void *worker(void *arg) {
    struct pr_thread *t = arg;
    pr_pool *p = t->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->generation == seen && !p->stop) pthread_cond_wait(&p->work, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        if (t->id > p->helpers) continue;
        pthread_mutex_unlock(&p->mu);
        drain(p, t->id);
        pthread_mutex_lock(&p->mu);
        p->finished++;
        pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---------------------------------------------------------------- pool lifecycle */

/* Start threads until there are `want`; returns PR_ENOMEM when one could not start. */
static int pool_grow(pr_pool *p, unsigned want) {
    while (p->nthreads < want) {
        struct pr_thread *t = &p->threads[p->nthreads];
        t->pool = p;
        t->id = p->nthreads;
        t->acc = malloc(PR_RESIZE_MAX_ROW * sizeof *t->acc);
        if (!t->acc) return PR_ENOMEM;
        if (t->id > 0 && pthread_create(&t->tid, NULL, worker, t)) {
            free(t->acc);
            t->acc = NULL;
            return PR_ENOMEM;
        }
        p->nthreads++;
    }
    return PR_OK;
}

static void pool_stop(pr_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned k = 1; k < p->nthreads; k++) pthread_join(p->threads[k].tid, NULL);
    for (unsigned k = 0; k < p->nthreads; k++) free(p->threads[k].acc);
    p->nthreads = 0;
    p->closed = 1;
}

static pr_pool *pool_new(void) {
    pr_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

static void pool_free(pr_pool *p) {
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p);
}

int pr_pool_create(unsigned nthreads, pr_pool **out) {
    *out = NULL;
    if (nthreads < 1 || nthreads > PR_MAX_THREADS) return PR_EINVAL;
    pr_pool *p = pool_new();
    if (!p) return PR_ENOMEM;
    if (pool_grow(p, nthreads)) {
        pool_stop(p);
        pool_free(p);
        return PR_ENOMEM;
    }
    *out = p;
    return PR_OK;
}

int pr_pool_close(pr_pool *p) {
    if (__atomic_exchange_n(&p->busy, 1, __ATOMIC_ACQUIRE))
        return pool_fail(p, PR_EBUSY, "the pool is stepping on another thread; close it after");
    if (!p->closed) pool_stop(p);
    __atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
    return PR_OK;
}

void pr_pool_destroy(pr_pool *p) {
    if (!p) return;
    if (!p->closed) pool_stop(p);
    pool_free(p);
}

unsigned pr_pool_threads(const pr_pool *p) { return p->nthreads; }
const char *pr_pool_error(const pr_pool *p) { return p->err; }

/* ---------------------------------------------------------------- a call */

static int check_spec(pr_pool *p, unsigned frames, const struct pr_obs_spec *s) {
    if (!s || !s->last) return pool_fail(p, PR_EINVAL, "the observation spec has no `last` buffer");
    if (s->mode != PR_SCREEN_RGB && s->mode != PR_SCREEN_GRAY && s->mode != PR_OBS_RAM)
        return pool_fail(p, PR_EINVAL, "unknown screen mode %d", s->mode);
    if (s->mode == PR_OBS_RAM && (s->max_pool || s->out_h))
        return pool_fail(p, PR_EINVAL, "max_pool and resize need pictures, not RAM");
    if (s->nregions && (!s->region_start || !s->region_len))
        return pool_fail(p, PR_EINVAL, "RAM regions need their starts and lengths");
    const struct pr_rows_spec *w = s->rows;
    if (w) {
        unsigned c = s->mode == PR_SCREEN_RGB ? 3u : 1u;
        if (!w->rows || w->agents < 1 || w->stack < 1 || w->channels != c)
            return pool_fail(p, PR_EINVAL,
                             "the observation rows need a buffer, agents, a stack and %u channels", c);
        if (!w->planes && w->pixel_stride < w->stack * c)
            return pool_fail(p, PR_EINVAL, "interleaved rows need a pixel stride >= %u", w->stack * c);
        if (w->direct && (w->stack != 1 || s->max_pool || s->out_h ||
                          (size_t)w->height * w->width * c != s->frame_stride ||
                          w->row_stride < s->frame_stride || (!w->planes && w->pixel_stride != c)))
            return pool_fail(p, PR_EINVAL,
                             "direct rows take one frame in its own layout, no max_pool, no resize");
    }
    if (s->max_pool && !s->pooled)
        return pool_fail(p, PR_EINVAL, "max_pool needs a `pooled` buffer");
    if (s->max_pool && frames < 2)
        return pool_fail(p, PR_EINVAL, "max_pool needs at least 2 frames per step (got %u)", frames);
    if (s->out_h) {
        unsigned c = s->mode == PR_SCREEN_RGB ? 3u : 1u;
        if (!s->dst || !s->h_index || !s->h_weight || !s->w_index || !s->w_weight || !s->divisor)
            return pool_fail(p, PR_EINVAL, "the resize needs its taps, a divisor and `dst`");
        if ((size_t)s->src_w * c > PR_RESIZE_MAX_ROW)
            return pool_fail(p, PR_EINVAL, "frames %u pixels wide are too wide to resize (at most %u)",
                             s->src_w, PR_RESIZE_MAX_ROW / c);
    }
    return PR_OK;
}

/* Runs a job on at most `want` of the pool's threads. */
static int pool_run(pr_pool *p, const struct pr_job *job, unsigned want) {
    if (job->frames > PR_MAX_FRAMES)
        return pool_fail(p, PR_EINVAL, "one step runs at most %d frames (got %u)", PR_MAX_FRAMES,
                         job->frames);
    if (job->spec && check_spec(p, job->frames, job->spec)) return PR_EINVAL;
    if (__atomic_exchange_n(&p->busy, 1, __ATOMIC_ACQUIRE))
        return pool_fail(p, PR_EBUSY,
                         "this pool is already stepping on another thread; give each thread its "
                         "own pool");
    if (p->closed) {
        __atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
        return pool_fail(p, PR_ECLOSED, "the pool was closed; create a new one");
    }
    unsigned nranges = want < p->nthreads ? want : p->nthreads;
    if (nranges > job->n) nranges = job->n;
    if (nranges < 1) nranges = 1;
    for (unsigned r = 0; r < nranges; r++) {
        p->ranges[r].next = (unsigned)((uint64_t)job->n * r / nranges);
        p->ranges[r].end = (unsigned)((uint64_t)job->n * (r + 1) / nranges);
    }
    p->job = *job;
    p->nranges = nranges;
    unsigned helpers = nranges - 1;
    if (helpers) {
        pthread_mutex_lock(&p->mu);
        p->helpers = helpers;
        p->finished = 0;
        p->generation++;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mu);
    }
    drain(p, 0);
    if (helpers) {
        pthread_mutex_lock(&p->mu);
        while (p->finished < helpers) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    __atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
    int worst = PR_OK, any = 0;
    for (unsigned i = 0; i < job->n; i++) {
        if (job->rcs[i] < worst) worst = job->rcs[i];
        any |= job->rcs[i];
    }
    /* no failure but a log line waiting: say so, the caller then drains the logs */
    return worst == PR_OK && any ? PR_LOG_PENDING : worst;
}

int pr_pool_step(pr_pool *p, pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                 int video, int *rcs) {
    struct pr_job job = {emus, n, buttons, frames, video, rcs, NULL};
    return pool_run(p, &job, PR_MAX_THREADS);
}

int pr_pool_step_obs(pr_pool *p, pr_emu **emus, unsigned n, const uint16_t *buttons,
                     unsigned frames, int *rcs, const struct pr_obs_spec *spec) {
    struct pr_job job = {emus, n, buttons, frames, 1, rcs, spec};
    if (!spec) return pool_fail(p, PR_EINVAL, "no observation spec");
    return pool_run(p, &job, PR_MAX_THREADS);
}

/* ---------------------------------------------------------------- the process-wide pool */

static pr_pool *shared_pool;
static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static __thread char shared_err[512];

static int shared_run(const struct pr_job *job, unsigned nthreads) {
    if (nthreads < 1) nthreads = 1;
    if (nthreads > PR_MAX_THREADS) nthreads = PR_MAX_THREADS;
    pthread_mutex_lock(&shared_mu);
    if (!shared_pool) shared_pool = pool_new();
    int rc = PR_ENOMEM;
    if (shared_pool) {
        pool_grow(shared_pool, nthreads); /* fewer threads than asked still step everything */
        rc = pool_run(shared_pool, job, nthreads);
        snprintf(shared_err, sizeof shared_err, "%s", shared_pool->err);
        shared_pool->err[0] = 0;
    } else {
        snprintf(shared_err, sizeof shared_err, "out of memory for the shared pool");
    }
    pthread_mutex_unlock(&shared_mu);
    return rc;
}

int pr_step_many(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames, int video,
                 unsigned nthreads, int *rcs) {
    struct pr_job job = {emus, n, buttons, frames, video, rcs, NULL};
    return shared_run(&job, nthreads);
}

int pr_step_many_obs(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                     unsigned nthreads, int *rcs, const struct pr_obs_spec *spec) {
    if (!spec) return PR_EINVAL;
    struct pr_job job = {emus, n, buttons, frames, 1, rcs, spec};
    return shared_run(&job, nthreads);
}

const char *pr_step_many_error(void) { return shared_err; }
