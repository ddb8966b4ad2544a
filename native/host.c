/* pettingretro's libretro host: loads a private copy of a core, answers its callbacks in C.
 *
 * One pr_emu owns one dlopen()ed copy of a core library (copied to an unlinked temp file, since
 * dlopen of the same path returns the same handle and cores keep global state). libretro
 * callbacks carry no user pointer, so each emulator takes a slot and the core gets that slot's
 * trampolines. Python calls in once per step (or once per batch), never once per callback.
 */
#define _GNU_SOURCE
#include "host.h"

#include "libretro_abi.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PR_LOG_QUEUE 64
#define PR_LOG_LEN 512

struct pr_option {
    char *key;
    char *desc;
    char *def;
    char **values;
    int nvalues;
    char *value; /* points into values[] or is an owned copy in `custom` */
    char *custom;
};

struct pr_override {
    char *key;
    char *value;
};

struct pr_core {
    void *dl;
    void (*init)(void);
    void (*deinit)(void);
    unsigned (*api_version)(void);
    void (*get_system_info)(struct retro_system_info *);
    void (*get_system_av_info)(struct retro_system_av_info *);
    void (*set_environment)(retro_environment_t);
    void (*set_video_refresh)(retro_video_refresh_t);
    void (*set_audio_sample)(retro_audio_sample_t);
    void (*set_audio_sample_batch)(retro_audio_sample_batch_t);
    void (*set_input_poll)(retro_input_poll_t);
    void (*set_input_state)(retro_input_state_t);
    void (*set_controller_port_device)(unsigned, unsigned);
    void (*reset)(void);
    void (*run)(void);
    size_t (*serialize_size)(void);
    bool (*serialize)(void *, size_t);
    bool (*unserialize)(const void *, size_t);
    bool (*load_game)(const struct retro_game_info *);
    void (*unload_game)(void);
    void *(*get_memory_data)(unsigned);
    size_t (*get_memory_size)(unsigned);
};

struct pr_emu {
    int slot;
    int open;   /* core library loaded and initialised */
    int loaded; /* game loaded */
    int busy;   /* set while a call runs: two threads on one emulator get PR_EBUSY */
    struct pr_core c;
    char err[1024];

    char *core_path;
    char *system_dir;
    char *save_dir;
    char *rom_path;
    uint8_t *rom_data;
    size_t rom_size;

    struct retro_system_info sysinfo;
    struct retro_system_av_info av;
    int pixfmt;
    unsigned quirks;
    int asked_av_enable;
    int asked_bitmasks;
    int shutdown;
    uint64_t frame;
    retro_frame_time_callback_t frame_time_cb;
    retro_usec_t frame_time_ref;

    /* video: the last kept frame, tightly packed in the core's pixel format */
    int want_video;
    int seen_dupe;
    const void *last_data; /* the last non-dupe frame the core drew, valid while unchanged */
    unsigned last_w, last_h;
    size_t last_pitch;
    int last_fmt;
    uint64_t draws;                       /* frames drawn since creation, never reset */
    uint64_t last_data_frame, kept_frame; /* values of draws; 0 = none */
    uint8_t *fb;
    size_t fb_cap;
    unsigned fw, fh;
    int ffmt;

    unsigned num_ports;
    uint16_t buttons[PR_MAX_PORTS];
    int16_t analog[PR_MAX_PORTS][2][2];

    struct pr_option *opts;
    int nopts;
    int opts_dirty;
    struct pr_override *overrides;
    int noverrides;

    struct pr_memdesc *maps;
    unsigned nmaps;

    unsigned npaddles;
    int32_t pad_offset[PR_MAX_PORTS];
    int32_t pad_value[PR_MAX_PORTS];
    int32_t pad_delta[PR_MAX_PORTS];
    int32_t pad_lo, pad_hi;
    int pad_dirty;
    uint8_t *pad_buf;
    size_t pad_buf_size;

    pthread_mutex_t log_mu;
    int log_head, log_count, log_dropped;
    int log_level[PR_LOG_QUEUE];
    char log_text[PR_LOG_QUEUE][PR_LOG_LEN];
};

/* ---------------------------------------------------------------- slots and trampolines */

static pr_emu *slots[PR_MAX_SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
/* srand()/rand() state is shared by every core copy in the process: loads and resets that seed
 * it are serialised so each instance starts from the same libc random state. */
static pthread_mutex_t seed_mu = PTHREAD_MUTEX_INITIALIZER;

static bool pr_environment(pr_emu *e, unsigned cmd, void *data);
static void pr_video(pr_emu *e, const void *data, unsigned w, unsigned h, size_t pitch);
static int16_t pr_input(pr_emu *e, unsigned port, unsigned device, unsigned index, unsigned id);
static void pr_vlog(pr_emu *e, enum retro_log_level level, const char *fmt, va_list ap);

static void pr_audio_sample(int16_t l, int16_t r) {
    (void)l;
    (void)r;
}
static size_t pr_audio_batch(const int16_t *d, size_t frames) {
    (void)d;
    return frames;
}
static void pr_input_poll(void) {}

#define PR_SLOT(i)                                                                                 \
    static bool env_##i(unsigned cmd, void *data) { return pr_environment(slots[i], cmd, data); } \
    static void video_##i(const void *d, unsigned w, unsigned h, size_t p) {                       \
        pr_video(slots[i], d, w, h, p);                                                            \
    }                                                                                              \
    static int16_t input_##i(unsigned port, unsigned dev, unsigned idx, unsigned id) {             \
        return pr_input(slots[i], port, dev, idx, id);                                             \
    }                                                                                              \
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
    retro_log_printf_t log;
};
#define PR_TR(i) {env_##i, video_##i, input_##i, log_##i},
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

/* ---------------------------------------------------------------- small helpers */

static int fail(pr_emu *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
    return code;
}

static char *dupstr(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int enter(pr_emu *e) {
    if (__atomic_exchange_n(&e->busy, 1, __ATOMIC_ACQUIRE))
        return fail(e, PR_EBUSY,
                    "this emulator is already running a call on another thread; give each thread "
                    "its own emulator");
    return PR_OK;
}
static void leave(pr_emu *e) { __atomic_store_n(&e->busy, 0, __ATOMIC_RELEASE); }

static int need_loaded(pr_emu *e) {
    if (!e->open) return fail(e, PR_ECLOSED, "the emulator is closed; create a new one");
    if (!e->loaded) return fail(e, PR_ECLOSED, "no game is loaded");
    return PR_OK;
}

/* ---------------------------------------------------------------- log */

static void pr_vlog(pr_emu *e, enum retro_log_level level, const char *fmt, va_list ap) {
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

static void pr_log(pr_emu *e, enum retro_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    pr_vlog(e, level, fmt, ap);
    va_end(ap);
}

static int log_pending(pr_emu *e) {
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

/* ---------------------------------------------------------------- core options */

static void option_free(struct pr_option *o) {
    free(o->key);
    free(o->desc);
    free(o->def);
    for (int j = 0; j < o->nvalues; j++) free(o->values[j]);
    free(o->values);
    free(o->custom);
}

static struct pr_option *option_find(pr_emu *e, const char *key) {
    for (int i = 0; i < e->nopts; i++)
        if (strcmp(e->opts[i].key, key) == 0) return &e->opts[i];
    return NULL;
}

static int option_assign(struct pr_option *o, const char *value) {
    for (int j = 0; j < o->nvalues; j++) {
        if (strcmp(o->values[j], value) == 0) {
            o->value = o->values[j];
            return 1;
        }
    }
    return 0;
}

/* Replace the option set, keeping values of options that persist and applying user overrides. */
static void options_install(pr_emu *e, struct pr_option *nopts, int n) {
    for (int i = 0; i < n; i++) {
        struct pr_option *o = &nopts[i];
        o->value = NULL;
        struct pr_option *old = option_find(e, o->key);
        if (old && old->value) option_assign(o, old->value);
        for (int k = 0; k < e->noverrides; k++)
            if (strcmp(e->overrides[k].key, o->key) == 0) option_assign(o, e->overrides[k].value);
        if (!o->value && o->def && !option_assign(o, o->def) && o->nvalues) o->value = o->values[0];
        if (!o->value && o->nvalues) o->value = o->values[0];
        if (!o->value) {
            o->custom = dupstr("");
            o->value = o->custom;
        }
    }
    for (int i = 0; i < e->nopts; i++) option_free(&e->opts[i]);
    free(e->opts);
    e->opts = nopts;
    e->nopts = n;
    e->opts_dirty = 1;
}

static int option_add_value(struct pr_option *o, const char *v, size_t len) {
    char **nv = realloc(o->values, sizeof(char *) * (size_t)(o->nvalues + 1));
    if (!nv) return 0;
    o->values = nv;
    char *s = malloc(len + 1);
    if (!s) return 0;
    memcpy(s, v, len);
    s[len] = 0;
    o->values[o->nvalues++] = s;
    return 1;
}

/* v0: {key, "Description; a|b|c"}, default = first value. */
static bool options_v0(pr_emu *e, const struct retro_variable *vars) {
    int n = 0;
    while (vars[n].key) n++;
    struct pr_option *opts = calloc((size_t)n + 1, sizeof *opts);
    if (!opts) return false;
    for (int i = 0; i < n; i++) {
        struct pr_option *o = &opts[i];
        o->key = dupstr(vars[i].key);
        const char *v = vars[i].value ? vars[i].value : "";
        const char *semi = strstr(v, "; ");
        if (semi) {
            o->desc = strndup(v, (size_t)(semi - v));
            const char *p = semi + 2;
            while (*p) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                option_add_value(o, p, len);
                if (!bar) break;
                p = bar + 1;
            }
        } else {
            o->desc = dupstr(v);
        }
        if (o->nvalues) o->def = dupstr(o->values[0]);
    }
    options_install(e, opts, n);
    return true;
}

static void option_values_from(struct pr_option *o, const struct retro_core_option_value *vals,
                               const char *def) {
    for (int j = 0; j < RETRO_NUM_CORE_OPTION_VALUES_MAX && vals[j].value; j++)
        option_add_value(o, vals[j].value, strlen(vals[j].value));
    o->def = dupstr(def ? def : (o->nvalues ? o->values[0] : NULL));
}

static bool options_v1(pr_emu *e, const struct retro_core_option_definition *defs) {
    int n = 0;
    while (defs[n].key) n++;
    struct pr_option *opts = calloc((size_t)n + 1, sizeof *opts);
    if (!opts) return false;
    for (int i = 0; i < n; i++) {
        opts[i].key = dupstr(defs[i].key);
        opts[i].desc = dupstr(defs[i].desc ? defs[i].desc : "");
        option_values_from(&opts[i], defs[i].values, defs[i].default_value);
    }
    options_install(e, opts, n);
    return true;
}

static bool options_v2(pr_emu *e, const struct retro_core_options_v2 *v2) {
    if (!v2 || !v2->definitions) return false;
    const struct retro_core_option_v2_definition *defs = v2->definitions;
    int n = 0;
    while (defs[n].key) n++;
    struct pr_option *opts = calloc((size_t)n + 1, sizeof *opts);
    if (!opts) return false;
    for (int i = 0; i < n; i++) {
        opts[i].key = dupstr(defs[i].key);
        opts[i].desc = dupstr(defs[i].desc ? defs[i].desc : "");
        option_values_from(&opts[i], defs[i].values, defs[i].default_value);
    }
    options_install(e, opts, n);
    return true;
}

int pr_option_count(const pr_emu *e) { return e->nopts; }
static const struct pr_option *opt_at(const pr_emu *e, int i) {
    return (i >= 0 && i < e->nopts) ? &e->opts[i] : NULL;
}
const char *pr_option_key(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->key : NULL;
}
const char *pr_option_desc(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->desc : NULL;
}
const char *pr_option_value(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->value : NULL;
}
const char *pr_option_default(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->def : NULL;
}
int pr_option_nvalues(const pr_emu *e, int i) {
    const struct pr_option *o = opt_at(e, i);
    return o ? o->nvalues : 0;
}
const char *pr_option_value_at(const pr_emu *e, int i, int j) {
    const struct pr_option *o = opt_at(e, i);
    return (o && j >= 0 && j < o->nvalues) ? o->values[j] : NULL;
}

int pr_option_set(pr_emu *e, const char *key, const char *value) {
    if (!key || !value) return fail(e, PR_EINVAL, "option key and value must not be NULL");
    struct pr_option *o = option_find(e, key);
    if (o) {
        if (!option_assign(o, value)) {
            char allowed[512] = "";
            size_t used = 0;
            for (int j = 0; j < o->nvalues && used + 1 < sizeof allowed; j++)
                used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", j ? ", " : "",
                                         o->values[j]);
            if (used >= sizeof allowed) strcpy(allowed + sizeof allowed - 5, "...");
            return fail(e, PR_EINVAL, "'%s' is not a valid value for core option '%s' (allowed: %s)",
                        value, key, allowed);
        }
        e->opts_dirty = 1;
    } else if (e->loaded) {
        return fail(e, PR_EINVAL, "the core has no option '%s'", key);
    }
    /* remembered so that options the core declares later (at load) get the override too */
    for (int k = 0; k < e->noverrides; k++) {
        if (strcmp(e->overrides[k].key, key) == 0) {
            free(e->overrides[k].value);
            e->overrides[k].value = dupstr(value);
            return PR_OK;
        }
    }
    struct pr_override *nv = realloc(e->overrides, sizeof *nv * (size_t)(e->noverrides + 1));
    if (!nv) return fail(e, PR_ENOMEM, "out of memory");
    e->overrides = nv;
    e->overrides[e->noverrides].key = dupstr(key);
    e->overrides[e->noverrides].value = dupstr(value);
    e->noverrides++;
    return PR_OK;
}

/* ---------------------------------------------------------------- environment */

static retro_time_t perf_time_usec_for(pr_emu *e) {
    /* deterministic: emulated time, not wall time */
    double fps = e->av.timing.fps > 0 ? e->av.timing.fps : 60.0;
    return (retro_time_t)((double)e->frame * 1e6 / fps);
}
static __thread pr_emu *perf_current; /* only for the perf interface, set around core calls */
static retro_time_t perf_get_time_usec(void) {
    return perf_current ? perf_time_usec_for(perf_current) : 0;
}
static uint64_t perf_get_cpu_features(void) { return 0; }
static retro_perf_tick_t perf_get_counter(void) {
    return perf_current ? (retro_perf_tick_t)perf_current->frame : 0;
}
static void perf_noop_counter(struct retro_perf_counter *c) { (void)c; }
static void perf_log(void) {}
static bool rumble_noop(unsigned port, int effect, uint16_t strength) {
    (void)port;
    (void)effect;
    (void)strength;
    return false;
}

static void memory_maps_store(pr_emu *e, const struct retro_memory_map *m) {
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
        e->maps[i].addrspace = dupstr(d->addrspace ? d->addrspace : "");
    }
    e->nmaps = m->num_descriptors;
}

static bool pr_environment(pr_emu *e, unsigned cmd, void *data) {
    if (!e) return false;
    switch (cmd) {
    case RETRO_ENVIRONMENT_GET_CAN_DUPE:
        if (data) *(bool *)data = true;
        return true;
    case RETRO_ENVIRONMENT_GET_OVERSCAN:
        if (data) *(bool *)data = false;
        return true;
    case RETRO_ENVIRONMENT_SET_ROTATION:
    case RETRO_ENVIRONMENT_SET_PERFORMANCE_LEVEL:
    case RETRO_ENVIRONMENT_SET_INPUT_DESCRIPTORS:
    case RETRO_ENVIRONMENT_SET_CONTROLLER_INFO:
    case RETRO_ENVIRONMENT_SET_SUBSYSTEM_INFO:
    case RETRO_ENVIRONMENT_SET_SUPPORT_ACHIEVEMENTS:
    case RETRO_ENVIRONMENT_SET_SUPPORT_NO_GAME:
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_DISPLAY:
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_UPDATE_DISPLAY_CALLBACK:
    case RETRO_ENVIRONMENT_SET_CONTENT_INFO_OVERRIDE:
    case RETRO_ENVIRONMENT_SET_MINIMUM_AUDIO_LATENCY:
    case RETRO_ENVIRONMENT_SET_AUDIO_BUFFER_STATUS_CALLBACK:
    case RETRO_ENVIRONMENT_SET_FASTFORWARDING_OVERRIDE:
    case RETRO_ENVIRONMENT_SET_PROC_ADDRESS_CALLBACK:
    case RETRO_ENVIRONMENT_SET_KEYBOARD_CALLBACK:
    case RETRO_ENVIRONMENT_SET_DISK_CONTROL_INTERFACE:
    case RETRO_ENVIRONMENT_SET_DISK_CONTROL_EXT_INTERFACE:
        return true;
    case RETRO_ENVIRONMENT_SHUTDOWN:
        /* never unload from inside retro_run: flag it, the host refuses further frames */
        e->shutdown = 1;
        return true;
    case RETRO_ENVIRONMENT_SET_MESSAGE:
        if (data && ((const struct retro_message *)data)->msg)
            pr_log(e, RETRO_LOG_INFO, "%s", ((const struct retro_message *)data)->msg);
        return true;
    case RETRO_ENVIRONMENT_SET_MESSAGE_EXT:
        if (data && ((const struct retro_message_ext *)data)->msg) {
            const struct retro_message_ext *m = data;
            pr_log(e, m->level, "%s", m->msg);
        }
        return true;
    case RETRO_ENVIRONMENT_GET_MESSAGE_INTERFACE_VERSION:
        if (data) *(unsigned *)data = 1;
        return true;
    case RETRO_ENVIRONMENT_GET_SYSTEM_DIRECTORY:
        if (data) *(const char **)data = e->system_dir;
        return true;
    case RETRO_ENVIRONMENT_GET_SAVE_DIRECTORY:
        if (data) *(const char **)data = e->save_dir;
        return true;
    case RETRO_ENVIRONMENT_GET_CORE_ASSETS_DIRECTORY:
        if (data) *(const char **)data = e->system_dir;
        return true;
    case RETRO_ENVIRONMENT_GET_LIBRETRO_PATH:
        if (data) *(const char **)data = e->core_path;
        return true;
    case RETRO_ENVIRONMENT_SET_PIXEL_FORMAT: {
        if (!data) return false;
        int f = *(const int *)data;
        if (f != RETRO_PIXEL_FORMAT_0RGB1555 && f != RETRO_PIXEL_FORMAT_XRGB8888 &&
            f != RETRO_PIXEL_FORMAT_RGB565)
            return false;
        e->pixfmt = f;
        return true;
    }
    case RETRO_ENVIRONMENT_SET_HW_RENDER:
    case RETRO_ENVIRONMENT_SET_HW_SHARED_CONTEXT:
    case RETRO_ENVIRONMENT_GET_HW_RENDER_INTERFACE:
    case RETRO_ENVIRONMENT_SET_HW_RENDER_CONTEXT_NEGOTIATION_INTERFACE:
    case RETRO_ENVIRONMENT_GET_PREFERRED_HW_RENDER:
        if (data && cmd == RETRO_ENVIRONMENT_SET_HW_RENDER)
            pr_log(e, RETRO_LOG_WARN,
                   "the core asked for hardware rendering, which pettingretro does not provide");
        return false;
    case RETRO_ENVIRONMENT_GET_VARIABLE: {
        struct retro_variable *v = data;
        if (!v || !v->key) return false;
        struct pr_option *o = option_find(e, v->key);
        if (!o) {
            v->value = NULL;
            return false;
        }
        v->value = o->value;
        return true;
    }
    case RETRO_ENVIRONMENT_SET_VARIABLE: {
        const struct retro_variable *v = data;
        if (!v) return true; /* probe: supported */
        if (!v->key || !v->value) return false;
        struct pr_option *o = option_find(e, v->key);
        return o && option_assign(o, v->value);
    }
    case RETRO_ENVIRONMENT_GET_VARIABLE_UPDATE:
        if (!data) return true; /* a probe must not swallow a pending change */
        *(bool *)data = e->opts_dirty != 0;
        e->opts_dirty = 0;
        return true;
    case RETRO_ENVIRONMENT_SET_VARIABLES:
        return data ? options_v0(e, data) : false;
    case RETRO_ENVIRONMENT_GET_CORE_OPTIONS_VERSION:
        if (data) *(unsigned *)data = 2;
        return true;
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS:
        return data ? options_v1(e, data) : false;
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_INTL: {
        const struct retro_core_options_intl *intl = data;
        return (intl && intl->us) ? options_v1(e, intl->us) : false;
    }
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_V2:
        return data ? options_v2(e, data) : false;
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_V2_INTL: {
        const struct retro_core_options_v2_intl *intl = data;
        return (intl && intl->us) ? options_v2(e, intl->us) : false;
    }
    case RETRO_ENVIRONMENT_GET_LOG_INTERFACE:
        if (!data) return false;
        ((struct retro_log_callback *)data)->log = trampolines[e->slot].log;
        return true;
    case RETRO_ENVIRONMENT_GET_PERF_INTERFACE: {
        if (!data) return false;
        struct retro_perf_callback *p = data;
        p->get_time_usec = perf_get_time_usec;
        p->get_cpu_features = perf_get_cpu_features;
        p->get_perf_counter = perf_get_counter;
        p->perf_register = perf_noop_counter;
        p->perf_start = perf_noop_counter;
        p->perf_stop = perf_noop_counter;
        p->perf_log = perf_log;
        return true;
    }
    case RETRO_ENVIRONMENT_GET_RUMBLE_INTERFACE:
        if (!data) return false;
        ((struct retro_rumble_interface *)data)->set_rumble_state = rumble_noop;
        return true;
    case RETRO_ENVIRONMENT_GET_INPUT_DEVICE_CAPABILITIES:
        if (data)
            *(uint64_t *)data = (1u << RETRO_DEVICE_JOYPAD) | (1u << RETRO_DEVICE_ANALOG);
        return true;
    case RETRO_ENVIRONMENT_GET_INPUT_BITMASKS:
        e->asked_bitmasks = 1;
        return true;
    case RETRO_ENVIRONMENT_GET_INPUT_MAX_USERS:
        if (data) *(unsigned *)data = e->num_ports;
        return true;
    case RETRO_ENVIRONMENT_SET_MEMORY_MAPS:
        if (data) memory_maps_store(e, data);
        return true;
    case RETRO_ENVIRONMENT_SET_GEOMETRY:
        if (data) e->av.geometry = *(const struct retro_game_geometry *)data;
        return true;
    case RETRO_ENVIRONMENT_SET_SYSTEM_AV_INFO:
        if (data) e->av = *(const struct retro_system_av_info *)data;
        return true;
    case RETRO_ENVIRONMENT_SET_SERIALIZATION_QUIRKS:
        if (data) e->quirks = (unsigned)*(const uint64_t *)data;
        return true;
    case RETRO_ENVIRONMENT_SET_FRAME_TIME_CALLBACK:
        if (!data) return false;
        e->frame_time_cb = ((const struct retro_frame_time_callback *)data)->callback;
        e->frame_time_ref = ((const struct retro_frame_time_callback *)data)->reference;
        return true;
    case RETRO_ENVIRONMENT_GET_AUDIO_VIDEO_ENABLE:
        e->asked_av_enable = 1;
        /* bit0 video, bit1 audio. Audio is never consumed; bit3 (hard-disable) is never set
         * because every frame's emulated state is kept. */
        if (data) *(int *)data = e->want_video ? 1 : 0;
        return true;
    case RETRO_ENVIRONMENT_GET_LANGUAGE:
        if (data) *(unsigned *)data = 0; /* English */
        return true;
    case RETRO_ENVIRONMENT_GET_USERNAME:
        if (data) *(const char **)data = "pettingretro";
        return true;
    case RETRO_ENVIRONMENT_GET_FASTFORWARDING:
        if (data) *(bool *)data = false;
        return true;
    case RETRO_ENVIRONMENT_GET_TARGET_REFRESH_RATE:
        if (data) *(float *)data = (float)(e->av.timing.fps > 0 ? e->av.timing.fps : 60.0);
        return true;
    case RETRO_ENVIRONMENT_GET_DISK_CONTROL_INTERFACE_VERSION:
        if (data) *(unsigned *)data = 1;
        return true;
    default:
        /* GET_VFS/LED/MIDI/SENSOR/CAMERA/LOCATION interfaces, audio callback, game info ext,
         * savestate context, throttle state and unknown commands: not offered. */
        return false;
    }
}

/* ---------------------------------------------------------------- video and input */

static int bytes_per_pixel(int fmt) { return fmt == RETRO_PIXEL_FORMAT_XRGB8888 ? 4 : 2; }

static void keep_frame(pr_emu *e, const void *data, unsigned w, unsigned h, size_t pitch, int fmt) {
    size_t row = (size_t)w * (size_t)bytes_per_pixel(fmt);
    size_t need = row * h;
    if (need > e->fb_cap) {
        uint8_t *nb = realloc(e->fb, need);
        if (!nb) return;
        e->fb = nb;
        e->fb_cap = need;
    }
    if (pitch == row) {
        memcpy(e->fb, data, need);
    } else {
        const uint8_t *src = data;
        for (unsigned y = 0; y < h; y++) memcpy(e->fb + y * row, src + y * pitch, row);
    }
    e->fw = w;
    e->fh = h;
    e->ffmt = fmt;
}

/* NULL data means "dupe": the picture did not change. Frames nobody looks at are not copied, only
 * remembered by pointer, so a dupe on a kept frame copies from that pointer; once a core has
 * duped, every frame is copied (its buffer may not outlive the frame). */
static void pr_video(pr_emu *e, const void *data, unsigned w, unsigned h, size_t pitch) {
    if (!e) return;
    if (!data) {
        e->seen_dupe = 1;
        if (e->want_video && e->last_data && e->last_data_frame != e->kept_frame) {
            keep_frame(e, e->last_data, e->last_w, e->last_h, e->last_pitch, e->last_fmt);
            e->kept_frame = e->last_data_frame;
        }
        return;
    }
    if (!w || !h) return;
    e->last_data = data;
    e->last_w = w;
    e->last_h = h;
    e->last_pitch = pitch;
    e->last_fmt = e->pixfmt;
    e->last_data_frame = ++e->draws;
    if (e->want_video || e->seen_dupe) {
        keep_frame(e, data, w, h, pitch, e->pixfmt);
        e->kept_frame = e->last_data_frame;
    }
}

static int16_t pr_input(pr_emu *e, unsigned port, unsigned device, unsigned index, unsigned id) {
    if (!e || port >= e->num_ports) return 0;
    switch (device & RETRO_DEVICE_MASK) {
    case RETRO_DEVICE_JOYPAD:
        if (id == RETRO_DEVICE_ID_JOYPAD_MASK) return (int16_t)e->buttons[port];
        return id < 16 ? (int16_t)((e->buttons[port] >> id) & 1) : 0;
    case RETRO_DEVICE_ANALOG:
        if (index < 2 && id < 2) return e->analog[port][index][id];
        if (index == RETRO_DEVICE_INDEX_ANALOG_BUTTON && id < 16)
            return ((e->buttons[port] >> id) & 1) ? 0x7fff : 0;
        return 0;
    default:
        return 0;
    }
}

/* Pixel conversion. SSSE3 paths (checked at run time) and scalar fallbacks give the same bytes:
 * every 16-bit pixel value and every XRGB8888 colour were compared with the scalar code. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PR_X86 1
#endif

static inline uint8_t x5(unsigned c) { return (uint8_t)((c << 3) | (c >> 2)); }
static inline uint8_t x6(unsigned c) { return (uint8_t)((c << 2) | (c >> 4)); }
static inline uint8_t luma(unsigned r, unsigned g, unsigned b) {
    return (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/* 16-bit formats: gray through a 64K table per format (built once) */
static uint8_t gray16_lut[2][65536]; /* [is565][pixel] */
static pthread_once_t gray16_once = PTHREAD_ONCE_INIT;
static void gray16_init(void) {
    for (unsigned v = 0; v < 65536; v++) {
        gray16_lut[0][v] = luma(x5((v >> 10) & 31), x5((v >> 5) & 31), x5(v & 31));
        gray16_lut[1][v] = luma(x5((v >> 11) & 31), x6((v >> 5) & 63), x5(v & 31));
    }
}

static void rgb_from_xrgb8888_scalar(const uint32_t *s, uint8_t *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t p = s[i];
        d[3 * i] = (uint8_t)(p >> 16);
        d[3 * i + 1] = (uint8_t)(p >> 8);
        d[3 * i + 2] = (uint8_t)p;
    }
}
static void rgb_from_16_scalar(const uint16_t *s, uint8_t *d, size_t n, int is565) {
    for (size_t i = 0; i < n; i++) {
        unsigned p = s[i];
        d[3 * i] = is565 ? x5(p >> 11) : x5((p >> 10) & 31);
        d[3 * i + 1] = is565 ? x6((p >> 5) & 63) : x5((p >> 5) & 31);
        d[3 * i + 2] = x5(p & 31);
    }
}
static void gray_from_xrgb8888_scalar(const uint32_t *s, uint8_t *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t p = s[i];
        d[i] = luma((p >> 16) & 255, (p >> 8) & 255, p & 255);
    }
}

#ifdef PR_X86
/* 4 XRGB pixels (bytes B G R X each) -> 12 RGB bytes, in the low 12 bytes */
__attribute__((target("ssse3"))) static void rgb_from_xrgb8888_ssse3(const uint32_t *s, uint8_t *d, size_t n) {
    const __m128i sh = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    size_t i = 0;
    /* each 16-byte store writes 4 bytes past its 12: stop while a whole pixel is left after */
    for (; i + 6 <= n; i += 4)
        _mm_storeu_si128((__m128i *)(d + 3 * i), _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + i)), sh));
    rgb_from_xrgb8888_scalar(s + i, d + 3 * i, n - i);
}

/* 8 16-bit pixels -> 24 RGB bytes */
__attribute__((target("ssse3"))) static void rgb_from_16_ssse3(const uint16_t *s, uint8_t *d, size_t n, int is565) {
    const __m128i m5 = _mm_set1_epi16(31), m6 = _mm_set1_epi16(63);
    const __m128i sh = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    size_t i = 0;
    for (; i + 10 <= n; i += 8) {
        __m128i p = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i r, g, b = _mm_and_si128(p, m5);
        if (is565) {
            r = _mm_srli_epi16(p, 11);
            g = _mm_and_si128(_mm_srli_epi16(p, 5), m6);
            g = _mm_or_si128(_mm_slli_epi16(g, 2), _mm_srli_epi16(g, 4));
        } else {
            r = _mm_and_si128(_mm_srli_epi16(p, 10), m5);
            g = _mm_and_si128(_mm_srli_epi16(p, 5), m5);
            g = _mm_or_si128(_mm_slli_epi16(g, 3), _mm_srli_epi16(g, 2));
        }
        r = _mm_or_si128(_mm_slli_epi16(r, 3), _mm_srli_epi16(r, 2));
        b = _mm_or_si128(_mm_slli_epi16(b, 3), _mm_srli_epi16(b, 2));
        __m128i rg = _mm_or_si128(r, _mm_slli_epi16(g, 8)); /* bytes R G per pixel */
        __m128i lo = _mm_unpacklo_epi16(rg, b);             /* R G B 0 for pixels 0..3 */
        __m128i hi = _mm_unpackhi_epi16(rg, b);             /* pixels 4..7 */
        _mm_storeu_si128((__m128i *)(d + 3 * i), _mm_shuffle_epi8(lo, sh));
        _mm_storeu_si128((__m128i *)(d + 3 * i + 12), _mm_shuffle_epi8(hi, sh));
    }
    rgb_from_16_scalar(s + i, d + 3 * i, n - i, is565);
}

/* luma of 8 XRGB pixels, exactly (299 R + 587 G + 114 B + 500) / 1000:
 * x = 299 R + 587 G + 114 B + 500 < 2^18; x / 1000 = (x >> 3) / 125 = ((x >> 3) * 33555) >> 22
 * exactly for x >> 3 < 59075 (here < 31938), done as mulhi_epu16 then >> 6. */
__attribute__((target("ssse3"))) static void gray_from_xrgb8888_ssse3(const uint32_t *s, uint8_t *d, size_t n) {
    const __m128i w = _mm_setr_epi16(114, 587, 299, 0, 114, 587, 299, 0);
    const __m128i z = _mm_setzero_si128(), half = _mm_set1_epi32(500), m = _mm_set1_epi16((short)33555);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 4));
        /* B*114 + G*587 and R*299 + X*0 per pixel, then the two halves added */
        __m128i a0 = _mm_madd_epi16(_mm_unpacklo_epi8(a, z), w), a1 = _mm_madd_epi16(_mm_unpackhi_epi8(a, z), w);
        __m128i b0 = _mm_madd_epi16(_mm_unpacklo_epi8(b, z), w), b1 = _mm_madd_epi16(_mm_unpackhi_epi8(b, z), w);
        __m128i xa = _mm_srli_epi32(_mm_add_epi32(_mm_hadd_epi32(a0, a1), half), 3);
        __m128i xb = _mm_srli_epi32(_mm_add_epi32(_mm_hadd_epi32(b0, b1), half), 3);
        __m128i x = _mm_packs_epi32(xa, xb); /* < 31938: fits a signed 16-bit lane */
        __m128i y = _mm_srli_epi16(_mm_mulhi_epu16(x, m), 6);
        _mm_storel_epi64((__m128i *)(d + i), _mm_packus_epi16(y, z));
    }
    gray_from_xrgb8888_scalar(s + i, d + i, n - i);
}
#endif

static int have_ssse3(void) {
#ifdef PR_X86
    return __builtin_cpu_supports("ssse3"); /* reads a flag libgcc set at load time */
#else
    return 0;
#endif
}

static void convert(const pr_emu *e, uint8_t *dst, int mode) {
    size_t n = (size_t)e->fw * e->fh;
    const uint8_t *fb = e->fb;
    int ffmt = e->ffmt;
    int simd = have_ssse3();
    if (ffmt == RETRO_PIXEL_FORMAT_XRGB8888) {
        const uint32_t *s = (const uint32_t *)fb;
#ifdef PR_X86
        if (simd) {
            if (mode == PR_SCREEN_RGB) rgb_from_xrgb8888_ssse3(s, dst, n);
            else gray_from_xrgb8888_ssse3(s, dst, n);
            return;
        }
#endif
        if (mode == PR_SCREEN_RGB) rgb_from_xrgb8888_scalar(s, dst, n);
        else gray_from_xrgb8888_scalar(s, dst, n);
        return;
    }
    const uint16_t *s = (const uint16_t *)fb;
    int is565 = ffmt == RETRO_PIXEL_FORMAT_RGB565;
    if (mode == PR_SCREEN_RGB) {
#ifdef PR_X86
        if (simd) {
            rgb_from_16_ssse3(s, dst, n, is565);
            return;
        }
#endif
        rgb_from_16_scalar(s, dst, n, is565);
        return;
    }
    pthread_once(&gray16_once, gray16_init);
    const uint8_t *lut = gray16_lut[is565];
    for (size_t i = 0; i < n; i++) dst[i] = lut[s[i]];
}

int pr_screen(pr_emu *e, uint8_t *dst, size_t dst_size, int mode) {
    if (!e->fb || !e->fw)
        return fail(e, PR_EINVAL, "no frame has been kept yet: step with video=True first");
    size_t need = (size_t)e->fw * e->fh * (mode == PR_SCREEN_RGB ? 3u : 1u);
    if (mode != PR_SCREEN_RGB && mode != PR_SCREEN_GRAY)
        return fail(e, PR_EINVAL, "unknown screen mode %d", mode);
    if (dst_size != need) /* exact: a bigger buffer would get rows of the wrong width */
        return fail(e, PR_EINVAL, "screen buffer holds %zu bytes, the frame needs %zu (%ux%u)",
                    dst_size, need, e->fw, e->fh);
    convert(e, dst, mode);
    return PR_OK;
}

void pr_screen_size(const pr_emu *e, unsigned *width, unsigned *height) {
    if (e->fw) {
        *width = e->fw;
        *height = e->fh;
    } else {
        *width = e->av.geometry.base_width;
        *height = e->av.geometry.base_height;
    }
}

int pr_set_buttons(pr_emu *e, unsigned port, uint16_t mask) {
    if (port >= e->num_ports)
        return fail(e, PR_EINVAL, "port %u does not exist: this emulator has ports 0..%u", port,
                    e->num_ports - 1);
    e->buttons[port] = mask;
    return PR_OK;
}

int pr_set_analog(pr_emu *e, unsigned port, unsigned index, unsigned axis, int16_t value) {
    if (port >= e->num_ports)
        return fail(e, PR_EINVAL, "port %u does not exist: this emulator has ports 0..%u", port,
                    e->num_ports - 1);
    if (index > 1 || axis > 1)
        return fail(e, PR_EINVAL, "analog index and axis must be 0 or 1 (got %u, %u)", index, axis);
    e->analog[port][index][axis] = value;
    return PR_OK;
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
    char *saved = cur ? dupstr(cur) : NULL;
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
static void *load_private_copy(pr_emu *e, const char *core_path, const char *tmp_dir) {
    int in = open(core_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        fail(e, PR_ECORE, "cannot read core '%s': %s", core_path, strerror(errno));
        return NULL;
    }
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/pettingretro-core-XXXXXX", tmp_dir && *tmp_dir ? tmp_dir : "/tmp");
    int out = mkostemp(tmpl, O_CLOEXEC);
    if (out < 0) {
        fail(e, PR_EIO, "cannot create a temp file in '%s' for the core copy: %s (set TMPDIR to a writable folder)",
             tmp_dir, strerror(errno));
        close(in);
        return NULL;
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
    void *dl = NULL;
    if (!ok) {
        fail(e, PR_EIO, "cannot copy core '%s' to '%s': %s (is the disk full?)", core_path, tmpl,
             strerror(werr));
    } else {
        dl = dlopen_core(tmpl);
        if (!dl) fail(e, PR_ECORE, "cannot load core '%s': %s", core_path, dlerror());
    }
    unlink(tmpl); /* the mapping stays; nothing is left on disk, even if the process dies */
    return dl;
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
    if (e->open) return fail(e, PR_EINVAL, "this emulator already has a core open");
    if (num_ports < 1 || num_ports > PR_MAX_PORTS)
        return fail(e, PR_EINVAL, "num_ports must be 1..%d (got %u)", PR_MAX_PORTS, num_ports);
    const char *missing = NULL;
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
        return fail(e, PR_ENOSLOT, "%d emulators are open in this process, the most it can host; close some first",
                    PR_MAX_SLOTS);
    e->num_ports = num_ports;
    e->core_path = dupstr(core_path);
    e->system_dir = dupstr(system_dir ? system_dir : "");
    e->save_dir = dupstr(save_dir ? save_dir : "");
    e->c.dl = load_private_copy(e, core_path, tmp_dir);
    if (!e->c.dl) goto release;
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
        fail(e, PR_ECORE, "core '%s' has libretro API version %u; pettingretro hosts version %d",
             core_path, e->c.api_version(), RETRO_API_VERSION);
        goto unload;
    }
    const struct pr_trampolines *t = &trampolines[e->slot];
    perf_current = e;
    e->c.set_environment(t->env);
    e->c.set_video_refresh(t->video);
    e->c.set_audio_sample(pr_audio_sample);
    e->c.set_audio_sample_batch(pr_audio_batch);
    e->c.set_input_poll(pr_input_poll);
    e->c.set_input_state(t->input);
    e->c.init();
    e->c.get_system_info(&e->sysinfo);
    perf_current = NULL;
    e->open = 1;
    return PR_OK;
bad:
    fail(e, PR_ECORE, "'%s' is not a libretro core: it has no '%s' symbol", core_path, missing);
unload:
    dlclose(e->c.dl);
    e->c.dl = NULL;
release:
    pthread_mutex_lock(&slots_mu);
    slots[e->slot] = NULL;
    pthread_mutex_unlock(&slots_mu);
    e->slot = -1;
    return e->err[0] ? (strstr(e->err, "temp file") ? PR_EIO : PR_ECORE) : PR_ECORE;
}

static int read_file(pr_emu *e, const char *path, uint8_t **out, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return fail(e, PR_EROM, "cannot open ROM '%s': %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return fail(e, PR_ENOMEM, "out of memory reading ROM '%s'", path);
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
        return fail(e, PR_EROM, "cannot read ROM '%s'", path);
    }
    *out = buf;
    *size = len;
    return PR_OK;
}

static int do_load(pr_emu *e, unsigned seed) {
    struct retro_game_info info = {e->rom_path, NULL, 0, NULL};
    if (!e->sysinfo.need_fullpath) {
        info.data = e->rom_data;
        info.size = e->rom_size;
    }
    e->shutdown = 0;
    e->frame = 0;
    e->last_data = NULL;
    perf_current = e;
    pthread_mutex_lock(&seed_mu);
    srand(seed);
    bool ok = e->c.load_game(&info);
    pthread_mutex_unlock(&seed_mu);
    perf_current = NULL;
    if (!ok)
        return fail(e, PR_EROM,
                    "core '%s' refused ROM '%s' (wrong system, corrupt file, or missing BIOS; "
                    "the core's log above may say which)",
                    e->sysinfo.library_name, e->rom_path);
    e->loaded = 1;
    e->c.get_system_av_info(&e->av);
    for (unsigned p = 0; p < e->num_ports; p++)
        e->c.set_controller_port_device(p, RETRO_DEVICE_JOYPAD);
    return PR_OK;
}

int pr_load_game(pr_emu *e, const char *rom_path, unsigned seed) {
    if (!e->open) return fail(e, PR_ECLOSED, "the emulator is closed; create a new one");
    if (e->loaded) return fail(e, PR_EINVAL, "a game is already loaded; create a new emulator");
    int rc = enter(e);
    if (rc) return rc;
    free(e->rom_path);
    free(e->rom_data);
    e->rom_data = NULL;
    e->rom_path = dupstr(rom_path);
    rc = e->sysinfo.need_fullpath ? PR_OK : read_file(e, rom_path, &e->rom_data, &e->rom_size);
    if (rc == PR_OK) rc = do_load(e, seed);
    leave(e);
    return rc ? rc : log_pending(e);
}

/* ---------------------------------------------------------------- host-owned paddles */

int pr_paddles_config(pr_emu *e, unsigned n, const int32_t *offsets_from_end, int32_t lo, int32_t hi) {
    if (n > PR_MAX_PORTS) return fail(e, PR_EINVAL, "at most %d paddles (got %u)", PR_MAX_PORTS, n);
    if (lo > hi) return fail(e, PR_EINVAL, "paddle range is empty (%d > %d)", lo, hi);
    size_t size = e->loaded ? e->c.serialize_size() : 0;
    for (unsigned i = 0; i < n; i++) {
        if (offsets_from_end[i] >= 0 || (size_t)(-(int64_t)offsets_from_end[i]) > size ||
            offsets_from_end[i] > -4)
            return fail(e, PR_EINVAL,
                        "paddle %u's state offset %d must lie inside the %zu-byte state, counted "
                        "back from its end (e.g. -22)",
                        i, offsets_from_end[i], size);
        e->pad_offset[i] = offsets_from_end[i];
        e->pad_delta[i] = 0;
        e->pad_value[i] = (int32_t)(((int64_t)lo + hi) / 2);
    }
    e->npaddles = n;
    e->pad_lo = lo;
    e->pad_hi = hi;
    e->pad_dirty = n > 0;
    return PR_OK;
}

int pr_paddles_set(pr_emu *e, const int32_t *values) {
    for (unsigned i = 0; i < e->npaddles; i++) {
        int32_t v = values[i] < e->pad_lo ? e->pad_lo : values[i] > e->pad_hi ? e->pad_hi : values[i];
        e->pad_value[i] = v;
    }
    e->pad_dirty = 1;
    return PR_OK;
}

int pr_paddles_move(pr_emu *e, const int32_t *deltas) {
    memcpy(e->pad_delta, deltas, e->npaddles * sizeof *deltas);
    return PR_OK;
}

int pr_paddles_get(const pr_emu *e, int32_t *values) {
    memcpy(values, e->pad_value, e->npaddles * sizeof *values);
    return PR_OK;
}

static void put_le32(uint8_t *p, int32_t v) {
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}
static int32_t get_le32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Before a frame: move each paddle by its delta; patch the state if any value changed. */
static void paddles_apply(pr_emu *e) {
    int changed = e->pad_dirty;
    for (unsigned i = 0; i < e->npaddles; i++) {
        if (!e->pad_delta[i]) continue;
        int64_t v = (int64_t)e->pad_value[i] + e->pad_delta[i];
        int32_t c = v < e->pad_lo ? e->pad_lo : v > e->pad_hi ? e->pad_hi : (int32_t)v;
        if (c != e->pad_value[i]) {
            e->pad_value[i] = c;
            changed = 1;
        }
    }
    if (!changed) return;
    size_t size = e->c.serialize_size();
    if (size > e->pad_buf_size) {
        uint8_t *nb = realloc(e->pad_buf, size);
        if (!nb) return;
        e->pad_buf = nb;
        e->pad_buf_size = size;
    }
    if (!e->c.serialize(e->pad_buf, size)) return;
    for (unsigned i = 0; i < e->npaddles; i++)
        put_le32(e->pad_buf + size + (ptrdiff_t)e->pad_offset[i], e->pad_value[i]);
    e->c.unserialize(e->pad_buf, size);
    e->pad_dirty = 0;
}

static void run_frames(pr_emu *e, unsigned frames, int video) {
    perf_current = e;
    for (unsigned i = 0; i < frames; i++) {
        if (e->npaddles) paddles_apply(e);
        e->want_video = video && (i + 1 == frames);
        if (e->frame_time_cb) e->frame_time_cb(e->frame_time_ref);
        e->c.run();
        e->frame++;
        /* Stella writes its own value to every paddle on the first frame after a load */
        if (e->frame == 1 && e->npaddles) e->pad_dirty = 1;
        if (e->shutdown) break;
    }
    e->want_video = 0;
    perf_current = NULL;
}

int pr_run(pr_emu *e, unsigned frames, int video) {
    int rc = need_loaded(e);
    if (rc) return rc;
    if (e->shutdown)
        return fail(e, PR_ESHUTDOWN,
                    "the core asked to shut down (RETRO_ENVIRONMENT_SHUTDOWN); reset() or reload");
    if ((rc = enter(e))) return rc;
    run_frames(e, frames, video);
    leave(e);
    if (e->shutdown)
        return fail(e, PR_ESHUTDOWN,
                    "the core asked to shut down (RETRO_ENVIRONMENT_SHUTDOWN) at frame %llu; "
                    "reset() or reload",
                    (unsigned long long)e->frame);
    return log_pending(e);
}

int pr_step(pr_emu *e, const uint16_t *buttons, unsigned nports, unsigned frames, int video,
            uint8_t *dst, size_t dst_size, int mode) {
    if (nports > e->num_ports) nports = e->num_ports;
    if (buttons) memcpy(e->buttons, buttons, nports * sizeof *buttons);
    int rc = pr_run(e, frames, video || dst != NULL);
    if (rc < 0) return rc;
    if (dst) {
        int src = pr_screen(e, dst, dst_size, mode);
        if (src) return src;
    }
    return rc;
}

int pr_reset(pr_emu *e, unsigned seed) {
    int rc = need_loaded(e);
    if (rc) return rc;
    if ((rc = enter(e))) return rc;
    perf_current = e;
    pthread_mutex_lock(&seed_mu);
    srand(seed);
    e->c.reset();
    pthread_mutex_unlock(&seed_mu);
    perf_current = NULL;
    e->shutdown = 0;
    e->frame = 0;
    leave(e);
    return log_pending(e);
}

int pr_reload(pr_emu *e, unsigned seed) {
    int rc = need_loaded(e);
    if (rc) return rc;
    if ((rc = enter(e))) return rc;
    e->c.unload_game();
    e->loaded = 0;
    rc = do_load(e, seed);
    leave(e);
    return rc ? rc : log_pending(e);
}

int pr_close(pr_emu *e) {
    if (!e->open) return PR_OK;
    int rc = enter(e);
    if (rc) return rc;
    if (e->loaded) e->c.unload_game();
    e->c.deinit();
    /* dlclose waits for pr_destroy: zero-copy RAM views may still point into the library */
    e->loaded = 0;
    e->open = 0;
    memory_maps_store(e, NULL);
    pthread_mutex_lock(&slots_mu);
    if (e->slot >= 0) slots[e->slot] = NULL;
    pthread_mutex_unlock(&slots_mu);
    e->slot = -1;
    leave(e);
    return PR_OK;
}

void pr_destroy(pr_emu *e) {
    if (!e) return;
    pr_close(e);
    if (e->c.dl) dlclose(e->c.dl);
    e->c.dl = NULL;
    for (int i = 0; i < e->nopts; i++) option_free(&e->opts[i]);
    free(e->opts);
    for (int k = 0; k < e->noverrides; k++) {
        free(e->overrides[k].key);
        free(e->overrides[k].value);
    }
    free(e->overrides);
    free(e->fb);
    free(e->pad_buf);
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

int pr_save_state(pr_emu *e, uint8_t *dst, size_t dst_size, size_t *written) {
    int rc = need_loaded(e);
    if (rc) return rc;
    size_t n = e->c.serialize_size();
    if (n == 0)
        return fail(e, PR_EUNSUPPORTED, "core '%s' does not support save states",
                    e->sysinfo.library_name);
    if (dst_size < n) {
        *written = n;
        return fail(e, PR_EINVAL, "state buffer holds %zu bytes, the core needs %zu", dst_size, n);
    }
    if ((rc = enter(e))) return rc;
    bool ok = e->c.serialize(dst, n);
    leave(e);
    if (!ok)
        return fail(e, PR_ESTATE, "core '%s' failed to save its state", e->sysinfo.library_name);
    *written = n;
    return PR_OK;
}

int pr_load_state(pr_emu *e, const uint8_t *src, size_t size) {
    int rc = need_loaded(e);
    if (rc) return rc;
    size_t n = e->c.serialize_size();
    if (n == 0)
        return fail(e, PR_EUNSUPPORTED, "core '%s' does not support save states",
                    e->sysinfo.library_name);
    /* stable-retro pads some states with zeros (its Stella states are 512 bytes for 481) */
    if (size > n) {
        size_t i = n;
        while (i < size && src[i] == 0) i++;
        if (i == size) size = n;
    }
    if (size != n && !(e->quirks & (RETRO_SERIALIZATION_QUIRK_CORE_VARIABLE_SIZE |
                                     RETRO_SERIALIZATION_QUIRK_FRONT_VARIABLE_SIZE)))
        return fail(e, PR_ESTATE,
                    "state has %zu bytes but core '%s' %s saves %zu: it was saved by another core, "
                    "core version or game",
                    size, e->sysinfo.library_name, e->sysinfo.library_version, n);
    if ((rc = enter(e))) return rc;
    perf_current = e;
    bool ok = e->c.unserialize(src, size);
    perf_current = NULL;
    e->shutdown = 0;
    if (ok)
        for (unsigned i = 0; i < e->npaddles; i++)
            e->pad_value[i] = get_le32(src + size + (ptrdiff_t)e->pad_offset[i]);
    e->pad_dirty = 0;
    leave(e);
    if (!ok)
        return fail(e, PR_ESTATE, "core '%s' rejected the state (corrupt, or from another game)",
                    e->sysinfo.library_name);
    return log_pending(e);
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

/* ---------------------------------------------------------------- thread pool */

#define PR_MAX_WORKERS 64

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work;
    pthread_cond_t done;
    pthread_mutex_t submit;
    unsigned nworkers;
    unsigned long generation;
    unsigned participants; /* workers asked to help with this job */
    unsigned finished;
    /* the job */
    pr_emu **emus;
    unsigned n;
    const uint16_t *buttons;
    unsigned frames;
    int video;
    int *rcs;
    unsigned next;
    const struct pr_obs_spec *spec; /* NULL: step only */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, NULL, 0, NULL, 0, 0, NULL, 0, NULL};

/* Area resampling with precomputed integer taps; exact, so it equals AreaResize in numpy. */
static int area_resize(const pr_emu *e, const uint8_t *src, const struct pr_obs_spec *s,
                       uint8_t *dst) {
    unsigned c = s->mode == PR_SCREEN_RGB ? 3u : 1u;
    size_t row = (size_t)e->fw * c;
    uint32_t *acc = malloc(row * sizeof *acc);
    if (!acc) return PR_ENOMEM;
    uint32_t half = s->divisor / 2;
    for (unsigned j = 0; j < s->out_h; j++) {
        memset(acc, 0, row * sizeof *acc);
        for (unsigned t = 0; t < s->h_taps; t++) {
            uint32_t w = s->h_weight[j * s->h_taps + t];
            if (!w) continue;
            const uint8_t *r = src + (size_t)s->h_index[j * s->h_taps + t] * row;
            for (size_t x = 0; x < row; x++) acc[x] += w * r[x];
        }
        uint8_t *out = dst + (size_t)j * s->out_w * c;
        for (unsigned i = 0; i < s->out_w; i++) {
            for (unsigned k = 0; k < c; k++) {
                uint32_t v = 0;
                for (unsigned t = 0; t < s->w_taps; t++) {
                    size_t at = (size_t)i * s->w_taps + t;
                    v += s->w_weight[at] * acc[(size_t)s->w_index[at] * c + k];
                }
                out[(size_t)i * c + k] = (uint8_t)((v + half) / s->divisor);
            }
        }
    }
    free(acc);
    return PR_OK;
}

static int step_obs(pr_emu *e, const uint16_t *buttons, unsigned frames,
                    const struct pr_obs_spec *s, unsigned i) {
    uint8_t *last = s->last + (size_t)i * s->frame_stride;
    uint8_t *pooled = s->max_pool ? s->pooled + (size_t)i * s->frame_stride : last;
    size_t size = s->frame_stride;
    int rc;
    if (s->max_pool) {
        if (frames < 2) return fail(e, PR_EINVAL, "max_pool needs at least 2 frames per step");
        if ((rc = pr_step(e, buttons, PR_MAX_PORTS, frames - 1, 1, pooled, size, s->mode)) < 0)
            return rc;
        if ((rc = pr_step(e, buttons, PR_MAX_PORTS, 1, 1, last, size, s->mode)) < 0) return rc;
        size_t n = (size_t)e->fw * e->fh * (s->mode == PR_SCREEN_RGB ? 3u : 1u);
        for (size_t k = 0; k < n; k++)
            if (last[k] > pooled[k]) pooled[k] = last[k];
    } else if ((rc = pr_step(e, buttons, PR_MAX_PORTS, frames, 1, last, size, s->mode)) < 0) {
        return rc;
    }
    if (s->out_h) {
        if (e->fw != s->src_w || e->fh != s->src_h)
            return fail(e, PR_EINVAL, "the picture is %ux%u but the resize expects %ux%u", e->fw,
                        e->fh, s->src_w, s->src_h);
        if (area_resize(e, pooled, s, s->dst + (size_t)i * s->dst_stride))
            return fail(e, PR_ENOMEM, "out of memory resizing a frame");
    }
    return rc;
}

static void pool_drain(void) {
    for (;;) {
        unsigned i = __atomic_fetch_add(&pool.next, 1, __ATOMIC_RELAXED);
        if (i >= pool.n) break;
        const uint16_t *b = pool.buttons + (size_t)i * PR_MAX_PORTS;
        int rc = pool.spec ? step_obs(pool.emus[i], b, pool.frames, pool.spec, i)
                           : pr_step(pool.emus[i], b, PR_MAX_PORTS, pool.frames, pool.video,
                                     NULL, 0, 0);
        pool.rcs[i] = rc;
    }
}

static void *pool_worker(void *arg) {
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.work, &pool.mu);
        seen = pool.generation;
        if (id >= pool.participants) continue;
        pthread_mutex_unlock(&pool.mu);
        pool_drain();
        pthread_mutex_lock(&pool.mu);
        pool.finished++;
        pthread_cond_signal(&pool.done);
    }
    return NULL;
}

static int step_many(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                     int video, unsigned nthreads, int *rcs, const struct pr_obs_spec *spec) {
    if (nthreads < 1) nthreads = 1;
    if (nthreads > PR_MAX_WORKERS + 1) nthreads = PR_MAX_WORKERS + 1;
    if (nthreads > n) nthreads = n ? n : 1;
    pthread_mutex_lock(&pool.submit);
    pthread_mutex_lock(&pool.mu);
    while (pool.nworkers < nthreads - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&t, &attr, pool_worker, (void *)(uintptr_t)pool.nworkers);
        pthread_attr_destroy(&attr);
        if (err) break;
        pool.nworkers++;
    }
    unsigned helpers = nthreads - 1 < pool.nworkers ? nthreads - 1 : pool.nworkers;
    pool.emus = emus;
    pool.n = n;
    pool.buttons = buttons;
    pool.frames = frames;
    pool.video = video;
    pool.rcs = rcs;
    pool.spec = spec;
    pool.next = 0;
    pool.participants = helpers;
    pool.finished = 0;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.mu);
    pool_drain();
    pthread_mutex_lock(&pool.mu);
    while (pool.finished < helpers) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    pthread_mutex_unlock(&pool.submit);
    int worst = PR_OK;
    for (unsigned i = 0; i < n; i++)
        if (rcs[i] < worst) worst = rcs[i];
    return worst;
}

int pr_step_many(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames, int video,
                 unsigned nthreads, int *rcs) {
    return step_many(emus, n, buttons, frames, video, nthreads, rcs, NULL);
}

int pr_step_many_obs(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                     unsigned nthreads, int *rcs, const struct pr_obs_spec *spec) {
    if (!spec || !spec->last || (spec->max_pool && !spec->pooled) || (spec->out_h && !spec->dst))
        return PR_EINVAL;
    if (spec->mode != PR_SCREEN_RGB && spec->mode != PR_SCREEN_GRAY) return PR_EINVAL;
    return step_many(emus, n, buttons, frames, 1, nthreads, rcs, spec);
}
