/* The ceiling: how fast a libretro core runs a ROM in a plain C loop with trivial callbacks.
 *
 * bench/host.py compiles this with `cc -O2` at run time and compares pettingretro's Emulator with
 * it; bench/vector.py compares the vector env with it (--emus, --barrier). Nothing here is shared
 * with the host: every callback does the least a frontend can do.
 *
 *   ceiling CORE.so ROM [--frames N | --seconds S] [--threads T] [--emus M] [--barrier]
 *                       [--frames-per-step K] [--seed K] [--serve]
 *
 * M emulators (default: T) each load their own private copy of the core (copied to an unlinked
 * temp file, since dlopen of one path returns one shared instance) and run frames with random
 * joypad input on ports 0 and 1 (a direction or a fire button, or nothing, drawn per frame and
 * per emulator). The emulators are split into T contiguous ranges, one per thread, as
 * native/pool.c splits a vector env's games; each thread loads and runs its own range.
 *
 * * free-running (the default): each thread runs its emulators one frame each, round after round,
 *   never waiting for the others;
 * * --barrier: each thread runs K frames (--frames-per-step, default 1) on each of its emulators in
 *   turn, then all threads meet at a barrier, as the threads of a vector env's step do.
 *
 * --frames N is per emulator (the total is M x N); --seconds S (default 2) runs for that long.
 * Only the frame loop is timed; it allocates nothing. Prints one line: `frames=<total>
 * seconds=<wall> cpu=<process CPU seconds> fps=<total/wall> threads=<T> emus=<M>`.
 * With --serve it loads once, then measures once per line read from stdin (`<seconds>` or
 * `f<frames per emulator>`), printing one such line each time, until EOF: a benchmark can then
 * interleave many short measurements with its own without reloading the cores.
 * Bad options (--emus 0, fewer emulators than threads, a value that is not a number) print why on
 * stderr and exit with status 2; a core or ROM that fails to load exits with status 1.
 *
 * Environment answers: GET_CAN_DUPE true, SET_PIXEL_FORMAT accepted, GET_SYSTEM_DIRECTORY and
 * GET_SAVE_DIRECTORY a temp dir, GET_VARIABLE the first value of a v0 option (cores that never
 * declare options get NULL/false), everything else false. GET_CORE_OPTIONS_VERSION is refused, so
 * cores fall back to v0 SET_VARIABLES, which is kept only to hand back defaults (some cores
 * strcmp() the value of their options without checking for NULL).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the few libretro ABI pieces this program needs (libretro API version 1) */
enum {
    ENV_GET_CAN_DUPE = 3,
    ENV_GET_SYSTEM_DIRECTORY = 9,
    ENV_SET_PIXEL_FORMAT = 10,
    ENV_GET_VARIABLE = 15,
    ENV_SET_VARIABLES = 16,
    ENV_GET_SAVE_DIRECTORY = 31,
    DEVICE_JOYPAD = 1,
    DEVICE_ID_JOYPAD_MASK = 256,
};
struct sys_info {
    const char *library_name, *library_version, *valid_extensions;
    bool need_fullpath, block_extract;
};
struct av_info {
    unsigned base_width, base_height, max_width, max_height;
    float aspect_ratio;
    double fps, sample_rate;
};
struct game_info {
    const char *path;
    const void *data;
    size_t size;
    const char *meta;
};
struct variable {
    const char *key;
    const char *value;
};
typedef bool (*env_fn)(unsigned, void *);
typedef void (*video_fn)(const void *, unsigned, unsigned, size_t);
typedef void (*sample_fn)(int16_t, int16_t);
typedef size_t (*batch_fn)(const int16_t *, size_t);
typedef void (*poll_fn)(void);
typedef int16_t (*input_fn)(unsigned, unsigned, unsigned, unsigned);

/* ---- per-emulator state: `cur` is the emulator whose core copy is running on this thread */
#define MAX_OPTS 256
struct inst {
    uint16_t buttons[2];
    uint64_t rng;
    int nopts;
    char *opt_key[MAX_OPTS];
    char *opt_val[MAX_OPTS];
};
static __thread struct inst *cur;
static char dir_path[] = "/tmp/pr-ceiling-XXXXXX";
static const char *dir_ptr = dir_path;

static bool env_cb(unsigned cmd, void *data) {
    switch (cmd) {
    case ENV_GET_CAN_DUPE:
        if (data) *(bool *)data = true;
        return true;
    case ENV_SET_PIXEL_FORMAT:
        return data != NULL;
    case ENV_GET_SYSTEM_DIRECTORY:
    case ENV_GET_SAVE_DIRECTORY:
        if (data) *(const char **)data = dir_ptr;
        return true;
    case ENV_SET_VARIABLES: {
        const struct variable *v = data;
        if (!v || !cur) return false;
        for (; v->key && cur->nopts < MAX_OPTS; v++) {
            const char *s = v->value ? strstr(v->value, "; ") : NULL;
            if (!s) continue;
            s += 2;
            size_t n = strcspn(s, "|");
            cur->opt_key[cur->nopts] = strdup(v->key);
            cur->opt_val[cur->nopts] = strndup(s, n);
            cur->nopts++;
        }
        return true;
    }
    case ENV_GET_VARIABLE: {
        struct variable *v = data;
        if (!v || !v->key) return false;
        v->value = NULL;
        for (int i = 0; cur && i < cur->nopts; i++)
            if (strcmp(cur->opt_key[i], v->key) == 0) {
                v->value = cur->opt_val[i];
                return true;
            }
        return false;
    }
    default:
        return false;
    }
}
static void video_cb(const void *d, unsigned w, unsigned h, size_t p) {
    (void)d, (void)w, (void)h, (void)p;
}
static void sample_cb(int16_t l, int16_t r) { (void)l, (void)r; }
static size_t batch_cb(const int16_t *d, size_t n) {
    (void)d;
    return n;
}
static void poll_cb(void) {}
static int16_t input_cb(unsigned port, unsigned dev, unsigned idx, unsigned id) {
    (void)idx;
    if (port > 1 || (dev & 0xff) != DEVICE_JOYPAD) return 0;
    if (id == DEVICE_ID_JOYPAD_MASK) return (int16_t)cur->buttons[port];
    return id < 16 ? (cur->buttons[port] >> id) & 1 : 0;
}

/* nothing, B, A, UP, DOWN, LEFT, RIGHT: the same action set bench/host.py draws from */
static const int action_bits[7] = {-1, 0, 8, 4, 5, 6, 7};
static uint16_t random_mask(struct inst *in) {
    in->rng ^= in->rng << 13;
    in->rng ^= in->rng >> 7;
    in->rng ^= in->rng << 17;
    int b = action_bits[(in->rng >> 32) % 7];
    return b < 0 ? 0 : (uint16_t)(1u << b);
}

/* ---- loading */
static const char *core_path, *rom_path;
static long want_frames = 0;
static double want_seconds = 2.0;
static unsigned seed = 1;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "ceiling: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void *open_copy(void) {
    char tmpl[] = "/tmp/pr-ceiling-core-XXXXXX";
    int out = mkstemp(tmpl);
    int in = open(core_path, O_RDONLY);
    if (out < 0 || in < 0) die("cannot copy the core", core_path);
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) die("cannot write the core copy", tmpl);
    close(in);
    close(out);
    void *dl = dlopen(tmpl, RTLD_NOW | RTLD_LOCAL);
    unlink(tmpl);
    if (!dl) die("dlopen failed", dlerror());
    return dl;
}

static void *sym(void *dl, const char *name) {
    void *p = dlsym(dl, name);
    if (!p) die("missing symbol", name);
    return p;
}

static uint8_t *rom_data;
static size_t rom_size;

/* One emulator: its input state and its core copy's retro_run. */
struct emu {
    struct inst in;
    void (*run)(void);
};

/* One thread: emulators [first, end) of `emus`, and the current measurement. */
struct job {
    unsigned id, first, end;
    long frames;    /* in: frames per emulator (0: run for `seconds`); out: frames run in all */
    double seconds; /* in: wall time to run for; out: wall time taken */
};

static struct emu *emus;
static int barrier_mode;
static long frames_per_step = 1;
static pthread_barrier_t go, done, step_bar;
static volatile int quitting;
/* --barrier with --seconds: the round after whose barrier every thread stops (-1: not yet). Only
 * thread 0 writes it, before the barrier of that round; a thread that reads a later round's value
 * goes on to that round's barrier, so all threads stop after the same one. */
static long stop_round;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

static void load(struct emu *e) {
    cur = &e->in;
    void *dl = open_copy();
    ((void (*)(env_fn))sym(dl, "retro_set_environment"))(env_cb);
    ((void (*)(video_fn))sym(dl, "retro_set_video_refresh"))(video_cb);
    ((void (*)(sample_fn))sym(dl, "retro_set_audio_sample"))(sample_cb);
    ((void (*)(batch_fn))sym(dl, "retro_set_audio_sample_batch"))(batch_cb);
    ((void (*)(poll_fn))sym(dl, "retro_set_input_poll"))(poll_cb);
    ((void (*)(input_fn))sym(dl, "retro_set_input_state"))(input_cb);
    ((void (*)(void))sym(dl, "retro_init"))();
    struct sys_info si = {0};
    ((void (*)(struct sys_info *))sym(dl, "retro_get_system_info"))(&si);
    struct game_info gi = {rom_path, NULL, 0, NULL};
    if (!si.need_fullpath) {
        gi.data = rom_data;
        gi.size = rom_size;
    }
    if (!((bool (*)(const struct game_info *))sym(dl, "retro_load_game"))(&gi))
        die("the core refused the ROM", rom_path);
    struct av_info av;
    ((void (*)(struct av_info *))sym(dl, "retro_get_system_av_info"))(&av);
    void (*port_dev)(unsigned, unsigned) = sym(dl, "retro_set_controller_port_device");
    port_dev(0, DEVICE_JOYPAD);
    port_dev(1, DEVICE_JOYPAD);
    e->run = sym(dl, "retro_run");
}

static inline void frame(struct emu *e) {
    cur = &e->in;
    e->in.buttons[0] = random_mask(&e->in);
    e->in.buttons[1] = random_mask(&e->in);
    e->run();
}

/* Free-running: one frame per emulator per round, no waiting. Returns the frames run. */
static long run_free(struct job *j, double t0) {
    long rounds = 0;
    for (;;) {
        for (unsigned i = j->first; i < j->end; i++) frame(&emus[i]);
        rounds++;
        if (j->frames ? rounds >= j->frames : now() - t0 >= j->seconds) break;
    }
    return rounds * (j->end - j->first);
}

/* --barrier: K frames per emulator per round (fewer in a --frames budget's last), then all
 * threads meet. Thread 0 decides when the time is up. Returns the frames run. */
static long run_barrier(struct job *j, double t0, int first_thread) {
    long per_emu = 0;
    for (long round = 0;; round++) {
        long k = frames_per_step;
        if (j->frames && j->frames - per_emu < k) k = j->frames - per_emu;
        for (unsigned i = j->first; i < j->end; i++)
            for (long f = 0; f < k; f++) frame(&emus[i]);
        per_emu += k;
        if (first_thread && !j->frames && now() - t0 >= j->seconds)
            __atomic_store_n(&stop_round, round, __ATOMIC_RELAXED);
        pthread_barrier_wait(&step_bar); /* orders thread 0's store before every read below */
        if (j->frames ? per_emu >= j->frames
                      : __atomic_load_n(&stop_round, __ATOMIC_RELAXED) == round)
            break;
    }
    return per_emu * (j->end - j->first);
}

static void *worker(void *arg) {
    struct job *j = arg;
    /* loads are serialised: cores touch shared libc state (rand, locale) while loading */
    pthread_mutex_lock(&load_mu);
    for (unsigned i = j->first; i < j->end; i++) load(&emus[i]);
    pthread_mutex_unlock(&load_mu);
    for (unsigned i = j->first; i < j->end; i++)
        for (int f = 0; f < 30; f++) frame(&emus[i]); /* warm up */
    pthread_barrier_wait(&done); /* loaded: no measurement's CPU time includes a load */

    for (;;) {
        pthread_barrier_wait(&go);
        if (quitting) break;
        double t0 = now();
        long ran = barrier_mode ? run_barrier(j, t0, j->id == 0) : run_free(j, t0);
        j->seconds = now() - t0;
        j->frames = ran;
        pthread_barrier_wait(&done);
    }
    /* no unload/deinit/dlclose: the process exits right after */
    return NULL;
}

/* One measurement on every thread at once; prints the aggregate. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void measure(struct job *jobs, unsigned threads, unsigned nemus, long frames,
                    double seconds) {
    for (unsigned t = 0; t < threads; t++) {
        jobs[t].frames = frames;
        jobs[t].seconds = seconds;
    }
    stop_round = -1;
    double c0 = cpu_now();
    pthread_barrier_wait(&go);
    pthread_barrier_wait(&done);
    double cpu = cpu_now() - c0;
    long total = 0;
    double wall = 0;
    for (unsigned t = 0; t < threads; t++) {
        total += jobs[t].frames;
        if (jobs[t].seconds > wall) wall = jobs[t].seconds;
    }
    printf("frames=%ld seconds=%.6f cpu=%.6f fps=%.1f threads=%u emus=%u\n", total, wall, cpu,
           total / wall, threads, nemus);
    fflush(stdout);
}

#define USAGE                                                                                      \
    "usage: ceiling CORE.so ROM [--frames N | --seconds S] [--threads T] [--emus M] [--barrier]\n" \
    "                           [--frames-per-step K] [--seed K] [--serve]\n"

static void bad_usage(const char *what, const char *detail) {
    fprintf(stderr, "ceiling: %s%s%s\n" USAGE, what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

/* A whole number in [lo, hi] for option `opt`, or a usage error saying what was wrong. */
static long number(const char *opt, const char *text, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    char msg[160];
    if (errno || end == text || *end) {
        snprintf(msg, sizeof msg, "%s takes a whole number, not '%s'", opt, text);
        bad_usage(msg, NULL);
    }
    if (v < lo || v > hi) {
        snprintf(msg, sizeof msg, "%s must be %ld..%ld (got %ld)", opt, lo, hi, v);
        bad_usage(msg, NULL);
    }
    return v;
}

int main(int argc, char **argv) {
    unsigned threads = 1, nemus = 0;
    int serve = 0;
    if (argc < 3) bad_usage("a core and a ROM are needed", NULL);
    core_path = argv[1];
    rom_path = argv[2];
    for (int i = 3; i < argc; i += 2) {
        if (!strcmp(argv[i], "--serve") || !strcmp(argv[i], "--barrier")) {
            *(argv[i][2] == 's' ? &serve : &barrier_mode) = 1;
            i--;
            continue;
        }
        if (i + 1 >= argc) bad_usage("missing value for", argv[i]);
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "--frames")) want_frames = number(o, v, 1, 1L << 40);
        else if (!strcmp(o, "--seconds")) {
            char *end;
            want_seconds = strtod(v, &end);
            if (end == v || *end || !(want_seconds > 0 && want_seconds < 1e6))
                bad_usage("--seconds takes a positive number of seconds, not", v);
        } else if (!strcmp(o, "--threads")) threads = (unsigned)number(o, v, 1, 64);
        else if (!strcmp(o, "--emus")) nemus = (unsigned)number(o, v, 1, 1024);
        else if (!strcmp(o, "--frames-per-step")) frames_per_step = number(o, v, 1, 1 << 20);
        else if (!strcmp(o, "--seed")) seed = (unsigned)number(o, v, 0, 1L << 31);
        else bad_usage("unknown option", o);
    }
    if (!nemus) nemus = threads;
    if (nemus < threads) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "--emus %u is fewer than --threads %u: each thread needs at least one emulator",
                 nemus, threads);
        bad_usage(msg, NULL);
    }
    if (!mkdtemp(dir_path)) die("cannot make a temp dir", dir_path);

    FILE *f = fopen(rom_path, "rb");
    if (!f) die("cannot open the ROM", rom_path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    if (len < 0) die("cannot read the ROM", rom_path);
    rom_size = (size_t)len;
    fseek(f, 0, SEEK_SET);
    rom_data = malloc(rom_size ? rom_size : 1);
    if (!rom_data || fread(rom_data, 1, rom_size, f) != rom_size) die("cannot read the ROM", rom_path);
    fclose(f);

    pthread_barrier_init(&go, NULL, threads + 1);
    pthread_barrier_init(&done, NULL, threads + 1);
    pthread_barrier_init(&step_bar, NULL, threads);
    emus = calloc(nemus, sizeof *emus);
    struct job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tids = calloc(threads, sizeof *tids);
    if (!emus || !jobs || !tids) die("out of memory", NULL);
    for (unsigned i = 0; i < nemus; i++) emus[i].in.rng = 0x9E3779B97F4A7C15ull * (seed + i + 1);
    for (unsigned t = 0; t < threads; t++) {
        /* the ranges native/pool.c makes: [M t / T, M (t + 1) / T) */
        jobs[t].id = t;
        jobs[t].first = (unsigned)((uint64_t)nemus * t / threads);
        jobs[t].end = (unsigned)((uint64_t)nemus * (t + 1) / threads);
        if (pthread_create(&tids[t], NULL, worker, &jobs[t])) die("pthread_create failed", NULL);
    }
    pthread_barrier_wait(&done);
    if (!serve) {
        measure(jobs, threads, nemus, want_frames, want_seconds);
    } else {
        char line[64];
        while (fgets(line, sizeof line, stdin)) {
            if (line[0] == 'f') {
                long n = atol(line + 1);
                if (n > 0) measure(jobs, threads, nemus, n, 0);
            } else if (atof(line) > 0) {
                measure(jobs, threads, nemus, 0, atof(line));
            }
        }
    }
    quitting = 1;
    pthread_barrier_wait(&go);
    for (unsigned t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    rmdir(dir_path);
    return 0;
}
