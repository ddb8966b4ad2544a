/* pettingretro's libretro host, core lifecycle: slots, a private copy of the core, load, state.
 *
 * One pr_emu owns one dlopen()ed copy of a core library (copied to an unlinked temp file, since
 * dlopen of the same path returns the same handle and cores keep global state). libretro
 * callbacks carry no user pointer, so each emulator takes a slot and the core gets that slot's
 * trampolines. Python calls in once per step (or once per batch), never once per callback.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* host.h's copies of libretro's numbers must be libretro's */
_Static_assert(PR_MEMORY_SAVE_RAM == RETRO_MEMORY_SAVE_RAM, "memory id");
_Static_assert(PR_MEMORY_RTC == RETRO_MEMORY_RTC, "memory id");
_Static_assert(PR_MEMORY_SYSTEM_RAM == RETRO_MEMORY_SYSTEM_RAM, "memory id");
_Static_assert(PR_MEMORY_VIDEO_RAM == RETRO_MEMORY_VIDEO_RAM, "memory id");
_Static_assert(PR_PIXEL_0RGB1555 == (int)RETRO_PIXEL_FORMAT_0RGB1555, "pixel format");
_Static_assert(PR_PIXEL_XRGB8888 == (int)RETRO_PIXEL_FORMAT_XRGB8888, "pixel format");
_Static_assert(PR_PIXEL_RGB565 == (int)RETRO_PIXEL_FORMAT_RGB565, "pixel format");
_Static_assert(PR_MEMDESC_CONST == RETRO_MEMDESC_CONST, "memdesc flag");
_Static_assert(PR_MEMDESC_BIGENDIAN == RETRO_MEMDESC_BIGENDIAN, "memdesc flag");
_Static_assert(PR_MEMDESC_SYSTEM_RAM == RETRO_MEMDESC_SYSTEM_RAM, "memdesc flag");
_Static_assert(PR_MEMDESC_SAVE_RAM == RETRO_MEMDESC_SAVE_RAM, "memdesc flag");
_Static_assert(PR_MEMDESC_VIDEO_RAM == RETRO_MEMDESC_VIDEO_RAM, "memdesc flag");
_Static_assert(PR_LOG_DEBUG == (int)RETRO_LOG_DEBUG && PR_LOG_INFO == (int)RETRO_LOG_INFO &&
                   PR_LOG_WARN == (int)RETRO_LOG_WARN && PR_LOG_ERROR == (int)RETRO_LOG_ERROR,
               "log level");

/* ---------------------------------------------------------------- slots and trampolines */

static pr_emu *slots[PR_MAX_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t pr_seed_mu = PTHREAD_MUTEX_INITIALIZER;

static void input_poll(void) {}

#define PR_SLOT(i)                                                                                 \
    static bool env_##i(unsigned cmd, void *data) { return pr_environment(slots[i], cmd, data); } \
    static void video_##i(const void *d, unsigned w, unsigned h, size_t p) {                       \
        pr_video(slots[i], d, w, h, p);                                                            \
    }                                                                                              \
    static int16_t input_##i(unsigned port, unsigned dev, unsigned idx, unsigned id) {             \
        return pr_input(slots[i], port, dev, idx, id);                                             \
    }                                                                                              \
    static void sample_##i(int16_t l, int16_t r) { pr_audio_sample(slots[i], l, r); }              \
    static size_t batch_##i(const int16_t *d, size_t n) { return pr_audio_batch(slots[i], d, n); } \
    static void log_##i(enum retro_log_level level, const char *fmt, ...) {                        \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        pr_vlog(slots[i], level, fmt, ap);                                                         \
        va_end(ap);                                                                                \
    }
#define PR_SLOT16(h)                                                                               \
    PR_SLOT(h##0) PR_SLOT(h##1) PR_SLOT(h##2) PR_SLOT(h##3) PR_SLOT(h##4) PR_SLOT(h##5)            \
    PR_SLOT(h##6) PR_SLOT(h##7) PR_SLOT(h##8) PR_SLOT(h##9) PR_SLOT(h##A) PR_SLOT(h##B)            \
    PR_SLOT(h##C) PR_SLOT(h##D) PR_SLOT(h##E) PR_SLOT(h##F)
#define PR_SLOT256(h)                                                                              \
    PR_SLOT16(h##0) PR_SLOT16(h##1) PR_SLOT16(h##2) PR_SLOT16(h##3) PR_SLOT16(h##4)                \
    PR_SLOT16(h##5) PR_SLOT16(h##6) PR_SLOT16(h##7) PR_SLOT16(h##8) PR_SLOT16(h##9)                \
    PR_SLOT16(h##A) PR_SLOT16(h##B) PR_SLOT16(h##C) PR_SLOT16(h##D) PR_SLOT16(h##E)                \
    PR_SLOT16(h##F)
PR_SLOT256(0x0)
PR_SLOT256(0x1)
PR_SLOT256(0x2)
PR_SLOT256(0x3)

struct pr_trampolines {
    retro_environment_t env;
    retro_video_refresh_t video;
    retro_input_state_t input;
    retro_audio_sample_t sample;
    retro_audio_sample_batch_t batch;
    retro_log_printf_t log;
};
#define PR_TR(i) {env_##i, video_##i, input_##i, sample_##i, batch_##i, log_##i},
#define PR_TR16(h)                                                                                 \
    PR_TR(h##0) PR_TR(h##1) PR_TR(h##2) PR_TR(h##3) PR_TR(h##4) PR_TR(h##5) PR_TR(h##6)            \
    PR_TR(h##7) PR_TR(h##8) PR_TR(h##9) PR_TR(h##A) PR_TR(h##B) PR_TR(h##C) PR_TR(h##D)            \
    PR_TR(h##E) PR_TR(h##F)
#define PR_TR256(h)                                                                                \
    PR_TR16(h##0) PR_TR16(h##1) PR_TR16(h##2) PR_TR16(h##3) PR_TR16(h##4) PR_TR16(h##5)            \
    PR_TR16(h##6) PR_TR16(h##7) PR_TR16(h##8) PR_TR16(h##9) PR_TR16(h##A) PR_TR16(h##B)            \
    PR_TR16(h##C) PR_TR16(h##D) PR_TR16(h##E) PR_TR16(h##F)
static const struct pr_trampolines trampolines[PR_MAX_SLOTS] = {
    PR_TR256(0x0) PR_TR256(0x1) PR_TR256(0x2) PR_TR256(0x3)};

retro_log_printf_t pr_log_trampoline(const pr_emu *e) { return trampolines[e->slot].log; }

/* ---------------------------------------------------------------- small helpers */

int pr_fail(pr_emu *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
    return code;
}

char *pr_dupstr(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int pr_enter(pr_emu *e) {
    if (__atomic_exchange_n(&e->busy, 1, __ATOMIC_ACQUIRE))
        return pr_fail(e, PR_EBUSY,
                       "this emulator is already running a call on another thread; give each "
                       "thread its own emulator");
    return PR_OK;
}
void pr_leave(pr_emu *e) { __atomic_store_n(&e->busy, 0, __ATOMIC_RELEASE); }

int pr_need_loaded(pr_emu *e) {
    if (!e->open) return pr_fail(e, PR_ECLOSED, "the emulator is closed; create a new one");
    if (!e->loaded) return pr_fail(e, PR_ECLOSED, "no game is loaded");
    return PR_OK;
}

/* ---------------------------------------------------------------- log */

void pr_vlog(pr_emu *e, enum retro_log_level level, const char *fmt, va_list ap) {
    if (!e || !fmt) return;
    pthread_mutex_lock(&e->log_mu);
    if (e->log_count == PR_LOG_QUEUE) {
        e->log_dropped++;
    } else {
        int i = (e->log_head + e->log_count) % PR_LOG_QUEUE;
        vsnprintf(e->log_text[i], PR_LOG_LEN, fmt, ap);
        size_t n = strlen(e->log_text[i]);
        while (n && (e->log_text[i][n - 1] == '\n' || e->log_text[i][n - 1] == '\r'))
            e->log_text[i][--n] = 0;
        e->log_level[i] = (int)level;
        e->log_count++;
    }
    pthread_mutex_unlock(&e->log_mu);
}

void pr_log(pr_emu *e, enum retro_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pr_vlog(e, level, fmt, ap);
    va_end(ap);
}

int pr_log_pending(pr_emu *e) {
    return __atomic_load_n(&e->log_count, __ATOMIC_RELAXED) ? PR_LOG_PENDING : PR_OK;
}

int pr_log_pop(pr_emu *e, int *level, char *buf, size_t cap) {
    int got = 0;
    pthread_mutex_lock(&e->log_mu);
    if (e->log_count) {
        *level = e->log_level[e->log_head];
        snprintf(buf, cap, "%s", e->log_text[e->log_head]);
        e->log_head = (e->log_head + 1) % PR_LOG_QUEUE;
        e->log_count--;
        got = 1;
    } else if (e->log_dropped) {
        *level = RETRO_LOG_WARN;
        snprintf(buf, cap, "%d core log messages were dropped (queue full)", e->log_dropped);
        e->log_dropped = 0;
        got = 1;
    }
    pthread_mutex_unlock(&e->log_mu);
    return got;
}

/* ---------------------------------------------------------------- memory maps */

void pr_memory_maps_store(pr_emu *e, const struct retro_memory_map *m) {
    for (unsigned i = 0; i < e->nmaps; i++) free((char *)e->maps[i].addrspace);
    free(e->maps);
    e->maps = NULL;
    e->nmaps = 0;
    if (!m || !m->descriptors || !m->num_descriptors) return;
    e->maps = calloc(m->num_descriptors, sizeof *e->maps);
    if (!e->maps) return;
    for (unsigned i = 0; i < m->num_descriptors; i++) {
        const struct retro_memory_descriptor *d = &m->descriptors[i];
        e->maps[i].flags = d->flags;
        e->maps[i].ptr = d->ptr;
        e->maps[i].offset = d->offset;
        e->maps[i].start = d->start;
        e->maps[i].select = d->select;
        e->maps[i].disconnect = d->disconnect;
        e->maps[i].len = d->len;
        e->maps[i].addrspace = pr_dupstr(d->addrspace ? d->addrspace : "");
    }
    e->nmaps = m->num_descriptors;
}

/* ---------------------------------------------------------------- lifecycle */

pr_emu *pr_create(void) {
    pr_emu *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->slot = -1;
    e->pixfmt = RETRO_PIXEL_FORMAT_0RGB1555;
    pthread_mutex_init(&e->log_mu, NULL);
    return e;
}

const char *pr_error(const pr_emu *e) { return e->err; }
int pr_is_open(const pr_emu *e) { return e->open; }
uint64_t pr_frame(const pr_emu *e) { return e->frame; }
void pr_set_frame(pr_emu *e, uint64_t frame) { e->frame = frame; }
int pr_shutdown_requested(const pr_emu *e) { return e->shutdown; }

/* Every C++ core in the stable-retro wheel links libstdc++ statically (GCC 14), and each private
 * copy's static initialisers allocate libstdc++'s emergency exception pool (~72 KiB), which
 * dlclose never frees: 72 KiB lost per emulator opened. GCC >= 13 sizes that pool from
 * GLIBCXX_TUNABLES, read at that moment: make it empty for the core's dlopen only (the core still
 * throws and catches normally; only a throw while malloc itself fails would terminate).
 * A setting of the user's own wins. */
static pthread_mutex_t env_mu = PTHREAD_MUTEX_INITIALIZER;
static void *dlopen_core(const char *path) {
    static const char pool[] = "glibcxx.eh_pool.obj_count=0";
    pthread_mutex_lock(&env_mu);
    const char *cur = getenv("GLIBCXX_TUNABLES");
    char *saved = cur ? pr_dupstr(cur) : NULL;
    int set = !saved || !strstr(saved, "glibcxx.eh_pool.obj_count");
    if (set) {
        size_t n = (saved ? strlen(saved) + 1 : 0) + sizeof pool;
        char *v = malloc(n);
        if (v) {
            snprintf(v, n, "%s%s%s", saved ? saved : "", saved ? ":" : "", pool);
            setenv("GLIBCXX_TUNABLES", v, 1);
            free(v);
        }
    }
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (set) {
        if (saved) setenv("GLIBCXX_TUNABLES", saved, 1);
        else unsetenv("GLIBCXX_TUNABLES");
    }
    free(saved);
    pthread_mutex_unlock(&env_mu);
    return dl;
}

/* Copy the core to an unlinked temp file and dlopen it: a private instance of its globals. */
static int load_private_copy(pr_emu *e, const char *core_path, const char *tmp_dir) {
    int in = open(core_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return pr_fail(e, PR_ECORE, "cannot read core '%s': %s", core_path, strerror(errno));
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/pettingretro-core-XXXXXX", tmp_dir && *tmp_dir ? tmp_dir : "/tmp");
    int out = mkostemp(tmpl, O_CLOEXEC);
    if (out < 0) {
        int err = errno;
        close(in);
        return pr_fail(e, PR_EIO,
                       "cannot create a temp file in '%s' for the core copy: %s (set TMPDIR to a "
                       "writable folder)",
                       tmp_dir, strerror(err));
    }
    char buf[1 << 16];
    ssize_t n;
    int ok = 1;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            ok = 0;
            break;
        }
    }
    if (n < 0) ok = 0;
    int werr = errno;
    close(in);
    close(out);
    int rc = PR_OK;
    if (!ok) {
        rc = pr_fail(e, PR_EIO, "cannot copy core '%s' to '%s': %s (is the disk full?)", core_path,
                     tmpl, strerror(werr));
    } else {
        e->c.dl = dlopen_core(tmpl);
        if (!e->c.dl) rc = pr_fail(e, PR_ECORE, "cannot load core '%s': %s", core_path, dlerror());
    }
    unlink(tmpl); /* the mapping stays; nothing is left on disk, even if the process dies */
    return rc;
}

#define LOAD_SYM(field, name)                                                                      \
    do {                                                                                           \
        *(void **)(&e->c.field) = dlsym(e->c.dl, name);                                            \
        if (!e->c.field) {                                                                         \
            missing = name;                                                                        \
            goto bad;                                                                              \
        }                                                                                          \
    } while (0)

int pr_open_core(pr_emu *e, const char *core_path, const char *tmp_dir, const char *system_dir,
                 const char *save_dir, unsigned num_ports) {
    if (e->open) return pr_fail(e, PR_EINVAL, "this emulator already has a core open");
    if (num_ports < 1 || num_ports > PR_MAX_PORTS)
        return pr_fail(e, PR_EINVAL, "num_ports must be 1..%d (got %u)", PR_MAX_PORTS, num_ports);
    const char *missing = NULL;
    int rc;
    pthread_mutex_lock(&slots_mu);
    for (int i = 0; i < PR_MAX_SLOTS; i++) {
        if (!slots[i]) {
            slots[i] = e;
            e->slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&slots_mu);
    if (e->slot < 0)
        return pr_fail(e, PR_ENOSLOT,
                       "%d emulators are open in this process, the most it can host; close some "
                       "first",
                       PR_MAX_SLOTS);
    e->num_ports = num_ports;
    e->core_path = pr_dupstr(core_path);
    e->system_dir = pr_dupstr(system_dir ? system_dir : "");
    e->save_dir = pr_dupstr(save_dir ? save_dir : "");
    if ((rc = load_private_copy(e, core_path, tmp_dir))) goto release;
    LOAD_SYM(init, "retro_init");
    LOAD_SYM(deinit, "retro_deinit");
    LOAD_SYM(api_version, "retro_api_version");
    LOAD_SYM(get_system_info, "retro_get_system_info");
    LOAD_SYM(get_system_av_info, "retro_get_system_av_info");
    LOAD_SYM(set_environment, "retro_set_environment");
    LOAD_SYM(set_video_refresh, "retro_set_video_refresh");
    LOAD_SYM(set_audio_sample, "retro_set_audio_sample");
    LOAD_SYM(set_audio_sample_batch, "retro_set_audio_sample_batch");
    LOAD_SYM(set_input_poll, "retro_set_input_poll");
    LOAD_SYM(set_input_state, "retro_set_input_state");
    LOAD_SYM(set_controller_port_device, "retro_set_controller_port_device");
    LOAD_SYM(reset, "retro_reset");
    LOAD_SYM(run, "retro_run");
    LOAD_SYM(serialize_size, "retro_serialize_size");
    LOAD_SYM(serialize, "retro_serialize");
    LOAD_SYM(unserialize, "retro_unserialize");
    LOAD_SYM(load_game, "retro_load_game");
    LOAD_SYM(unload_game, "retro_unload_game");
    LOAD_SYM(get_memory_data, "retro_get_memory_data");
    LOAD_SYM(get_memory_size, "retro_get_memory_size");
    if (e->c.api_version() != RETRO_API_VERSION) {
        rc = pr_fail(e, PR_ECORE, "core '%s' has libretro API version %u; pettingretro hosts version %d",
                     core_path, e->c.api_version(), RETRO_API_VERSION);
        goto unload;
    }
    const struct pr_trampolines *t = &trampolines[e->slot];
    pr_perf_current = e;
    e->c.set_environment(t->env);
    e->c.set_video_refresh(t->video);
    e->c.set_audio_sample(t->sample);
    e->c.set_audio_sample_batch(t->batch);
    e->c.set_input_poll(input_poll);
    e->c.set_input_state(t->input);
    e->c.init();
    e->c.get_system_info(&e->sysinfo);
    pr_perf_current = NULL;
    e->open = 1;
    return PR_OK;
bad:
    rc = pr_fail(e, PR_ECORE, "'%s' is not a libretro core: it has no '%s' symbol", core_path, missing);
unload:
    dlclose(e->c.dl);
    e->c.dl = NULL;
release:
    pthread_mutex_lock(&slots_mu);
    slots[e->slot] = NULL;
    pthread_mutex_unlock(&slots_mu);
    e->slot = -1;
    return rc;
}

static int read_file(pr_emu *e, const char *path, uint8_t **out, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return pr_fail(e, PR_ENOROM, "cannot open ROM '%s': %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return pr_fail(e, PR_ENOMEM, "out of memory reading ROM '%s'", path);
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return pr_fail(e, PR_ENOROM, "cannot read ROM '%s'", path);
    }
    *out = buf;
    *size = len;
    return PR_OK;
}

int pr_do_load(pr_emu *e, unsigned seed) {
    struct retro_game_info info = {e->rom_path, NULL, 0, NULL};
    if (!e->sysinfo.need_fullpath) {
        info.data = e->rom_data;
        info.size = e->rom_size;
    }
    e->shutdown = 0;
    e->frame = 0;
    e->last_data = NULL;
    pr_perf_current = e;
    pthread_mutex_lock(&pr_seed_mu);
    srand(seed);
    bool ok = e->c.load_game(&info);
    pthread_mutex_unlock(&pr_seed_mu);
    pr_perf_current = NULL;
    if (!ok)
        return pr_fail(e, PR_EROM,
                       "core '%s' refused ROM '%s' (wrong system, corrupt file, or missing BIOS; "
                       "the core's log above may say which)",
                       e->sysinfo.library_name, e->rom_path);
    e->loaded = 1;
    e->c.get_system_av_info(&e->av);
    /* the frame buffer is made here, not on the step path: it grows there only when a core draws
     * beyond the geometry it declared */
    size_t most = (size_t)e->av.geometry.max_width * e->av.geometry.max_height * 4;
    if (most > e->fb_cap && most <= (size_t)1 << 26) {
        uint8_t *nb = realloc(e->fb, most);
        if (nb) {
            e->fb = nb;
            e->fb_cap = most;
        }
    }
    for (unsigned p = 0; p < e->num_ports; p++)
        e->c.set_controller_port_device(p, RETRO_DEVICE_JOYPAD);
    /* the buffer tiles read states into is made here too, not on the step path */
    pr_state_reserve(e, e->c.serialize_size());
    return PR_OK;
}

int pr_load_game(pr_emu *e, const char *rom_path, unsigned seed) {
    if (!e->open) return pr_fail(e, PR_ECLOSED, "the emulator is closed; create a new one");
    if (e->loaded) return pr_fail(e, PR_EINVAL, "a game is already loaded; create a new emulator");
    int rc = pr_enter(e);
    if (rc) return rc;
    free(e->rom_path);
    free(e->rom_data);
    e->rom_data = NULL;
    e->rom_path = pr_dupstr(rom_path);
    rc = e->sysinfo.need_fullpath ? PR_OK : read_file(e, rom_path, &e->rom_data, &e->rom_size);
    if (rc == PR_OK) rc = pr_do_load(e, seed);
    pr_leave(e);
    return rc ? rc : pr_log_pending(e);
}

int pr_reset(pr_emu *e, unsigned seed) {
    int rc = pr_need_loaded(e);
    if (rc) return rc;
    if ((rc = pr_enter(e))) return rc;
    pr_perf_current = e;
    pthread_mutex_lock(&pr_seed_mu);
    srand(seed);
    e->c.reset();
    pthread_mutex_unlock(&pr_seed_mu);
    pr_perf_current = NULL;
    e->shutdown = 0;
    e->frame = 0;
    pr_leave(e);
    return pr_log_pending(e);
}

int pr_reload(pr_emu *e, unsigned seed) {
    int rc = pr_need_loaded(e);
    if (rc) return rc;
    if ((rc = pr_enter(e))) return rc;
    e->c.unload_game();
    e->loaded = 0;
    rc = pr_do_load(e, seed);
    pr_leave(e);
    return rc ? rc : pr_log_pending(e);
}

int pr_close(pr_emu *e) {
    if (!e->open) return PR_OK;
    int rc = pr_enter(e);
    if (rc) return rc;
    if (e->loaded) e->c.unload_game();
    e->c.deinit();
    /* dlclose waits for pr_destroy: zero-copy RAM views may still point into the library */
    e->loaded = 0;
    e->open = 0;
    e->audio_buf = NULL; /* the caller's buffer may go once the emulator is closed */
    pr_memory_maps_store(e, NULL);
    pthread_mutex_lock(&slots_mu);
    if (e->slot >= 0) slots[e->slot] = NULL;
    pthread_mutex_unlock(&slots_mu);
    e->slot = -1;
    pr_leave(e);
    return PR_OK;
}

void pr_destroy(pr_emu *e) {
    if (!e) return;
    pr_close(e);
    if (e->c.dl) dlclose(e->c.dl);
    e->c.dl = NULL;
    pr_options_free(e);
    free(e->fb);
    free(e->pad_buf);
    free(e->state_buf);
    free(e->rom_path);
    free(e->rom_data);
    free(e->core_path);
    free(e->system_dir);
    free(e->save_dir);
    pthread_mutex_destroy(&e->log_mu);
    free(e);
}

/* ---------------------------------------------------------------- memory and state */

uint8_t *pr_memory(pr_emu *e, unsigned id, size_t *size) {
    *size = 0;
    if (!e->loaded) return NULL;
    uint8_t *p = e->c.get_memory_data(id);
    if (p) *size = e->c.get_memory_size(id);
    return p;
}

unsigned pr_memory_map_count(const pr_emu *e) { return e->nmaps; }

int pr_memory_map_get(const pr_emu *e, unsigned i, struct pr_memdesc *out) {
    if (i >= e->nmaps) return PR_EINVAL;
    *out = e->maps[i];
    return PR_OK;
}

size_t pr_state_size(pr_emu *e) { return e->loaded ? e->c.serialize_size() : 0; }

/* Make the host's state buffer hold n bytes; it only grows, so this allocates at load and when
 * a core's state size changes, never again for the same size. */
int pr_state_reserve(pr_emu *e, size_t n) {
    if (n <= e->state_cap) return PR_OK;
    uint8_t *nb = realloc(e->state_buf, n);
    if (!nb) return pr_fail(e, PR_ENOMEM, "out of memory for a %zu-byte save state", n);
    e->state_buf = nb;
    e->state_cap = n;
    return PR_OK;
}

/* The state size, or the reason there are no states to save or load. */
static int state_size(pr_emu *e, size_t *n) {
    int rc = pr_need_loaded(e);
    if (rc) return rc;
    *n = e->c.serialize_size();
    if (*n == 0)
        return pr_fail(e, PR_EUNSUPPORTED, "core '%s' does not support save states",
                       e->sysinfo.library_name);
    return PR_OK;
}

int pr_save_state(pr_emu *e, uint8_t *dst, size_t dst_size, size_t *written) {
    size_t n;
    int rc = state_size(e, &n);
    if (rc) return rc;
    if (dst_size < n) {
        *written = n;
        return pr_fail(e, PR_EINVAL, "state buffer holds %zu bytes, the core needs %zu", dst_size, n);
    }
    if ((rc = pr_enter(e))) return rc;
    bool ok = e->c.serialize(dst, n);
    pr_leave(e);
    if (!ok)
        return pr_fail(e, PR_ESTATE, "core '%s' failed to save its state", e->sysinfo.library_name);
    *written = n;
    return PR_OK;
}

static int32_t get_le32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

int pr_load_state(pr_emu *e, const uint8_t *src, size_t size) {
    size_t n;
    int rc = state_size(e, &n);
    if (rc) return rc;
    /* stable-retro pads some states with zeros (its Stella states are 512 bytes for 481) */
    if (size > n) {
        size_t i = n;
        while (i < size && src[i] == 0) i++;
        if (i == size) size = n;
    }
    if (size != n && !(e->quirks & (RETRO_SERIALIZATION_QUIRK_CORE_VARIABLE_SIZE |
                                     RETRO_SERIALIZATION_QUIRK_FRONT_VARIABLE_SIZE)))
        return pr_fail(e, PR_ESTATE,
                       "state has %zu bytes but core '%s' %s saves %zu: it was saved by another "
                       "core, core version or game",
                       size, e->sysinfo.library_name, e->sysinfo.library_version, n);
    if ((rc = pr_enter(e))) return rc;
    pr_perf_current = e;
    bool ok = e->c.unserialize(src, size);
    pr_perf_current = NULL;
    e->shutdown = 0;
    if (ok)
        for (unsigned i = 0; i < e->npaddles; i++)
            e->pad_value[i] = get_le32(src + size + (ptrdiff_t)e->pad_offset[i]);
    e->pad_dirty = 0;
    pr_leave(e);
    if (!ok)
        return pr_fail(e, PR_ESTATE, "core '%s' rejected the state (corrupt, or from another game)",
                       e->sysinfo.library_name);
    return pr_log_pending(e);
}

int pr_get_info(const pr_emu *e, struct pr_info *out) {
    memset(out, 0, sizeof *out);
    out->library_name = e->sysinfo.library_name;
    out->library_version = e->sysinfo.library_version;
    out->valid_extensions = e->sysinfo.valid_extensions;
    out->need_fullpath = e->sysinfo.need_fullpath;
    out->block_extract = e->sysinfo.block_extract;
    out->fps = e->av.timing.fps;
    out->sample_rate = e->av.timing.sample_rate;
    out->base_width = e->av.geometry.base_width;
    out->base_height = e->av.geometry.base_height;
    out->max_width = e->av.geometry.max_width;
    out->max_height = e->av.geometry.max_height;
    out->aspect_ratio = e->av.geometry.aspect_ratio;
    out->pixel_format = e->pixfmt;
    out->serialization_quirks = e->quirks;
    out->asked_av_enable = e->asked_av_enable;
    out->input_bitmasks = e->asked_bitmasks;
    return PR_OK;
}
