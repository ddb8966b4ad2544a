/* What the host's C files share and Python never sees: the emulator struct and their helpers.
 *
 * host.h is the API (and the cffi cdef); this header is the inside of it. Each .c file holds one
 * concern: core.c (slots, lifecycle, state, memory), environment.c (the environment callback),
 * options.c (core options), step.c (running frames, input, paddles), pixels.c (video and
 * conversion), audio.c (sound), pool.c (worker threads that step many emulators), tiles.c (tile grids
 * decoded from save states).
 */
#ifndef PETTINGRETRO_INTERNAL_H
#define PETTINGRETRO_INTERNAL_H

#include "host.h"
#include "libretro_abi.h"

#include <pthread.h>
#include <stdarg.h>

#define PR_LOG_QUEUE 64
#define PR_LOG_LEN 512

/* One core option: the values the core allows, its default and the current value. */
struct pr_option {
    char *key;
    char *desc;
    char *def;
    char **values;
    int nvalues;
    char *value; /* points into values[] or is an owned copy in `custom` */
    char *custom;
};

/* A value the user set for a key, kept so options the core declares later get it too. */
struct pr_override {
    char *key;
    char *value;
};

/* The core's entry points, looked up in its private copy (nanoarch's struct of pointers). */
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

    /* audio: the caller's buffer of int16 stereo frames; NULL = off */
    int16_t *audio_buf;
    size_t audio_cap;  /* sample frames the buffer holds */
    size_t audio_len;  /* sample frames kept in this step */
    size_t audio_lost; /* sample frames of this step that did not fit */

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

    /* the state tiles are decoded from (pr_tiles): made at load, remade when the size changes */
    uint8_t *state_buf;
    size_t state_cap;

    pthread_mutex_t log_mu;
    int log_head, log_count, log_dropped;
    int log_level[PR_LOG_QUEUE];
    char log_text[PR_LOG_QUEUE][PR_LOG_LEN];
};

/* core.c */
int pr_fail(pr_emu *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *pr_dupstr(const char *s);
int pr_enter(pr_emu *e);
void pr_leave(pr_emu *e);
int pr_need_loaded(pr_emu *e);
void pr_vlog(pr_emu *e, enum retro_log_level level, const char *fmt, va_list ap);
void pr_log(pr_emu *e, enum retro_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pr_log_pending(pr_emu *e);
retro_log_printf_t pr_log_trampoline(const pr_emu *e);
int pr_do_load(pr_emu *e, unsigned seed);
void pr_memory_maps_store(pr_emu *e, const struct retro_memory_map *m);
int pr_state_reserve(pr_emu *e, size_t n);
/* srand()/rand() state is shared by every core copy in the process: loads and resets that seed
 * it hold this lock so each instance starts from the same libc random state. */
extern pthread_mutex_t pr_seed_mu;

/* environment.c; perf_current is only for the perf interface, set around core calls */
bool pr_environment(pr_emu *e, unsigned cmd, void *data);
extern __thread pr_emu *pr_perf_current;

/* options.c */
struct pr_option *pr_option_find(pr_emu *e, const char *key);
int pr_option_assign(struct pr_option *o, const char *value);
bool pr_options_v0(pr_emu *e, const struct retro_variable *vars);
bool pr_options_v1(pr_emu *e, const struct retro_core_option_definition *defs);
bool pr_options_v2(pr_emu *e, const struct retro_core_options_v2 *v2);
void pr_options_free(pr_emu *e);

/* step.c */
int16_t pr_input(pr_emu *e, unsigned port, unsigned device, unsigned index, unsigned id);

/* pixels.c */
void pr_video(pr_emu *e, const void *data, unsigned w, unsigned h, size_t pitch);
size_t pr_frame_bytes(const pr_emu *e, int mode);
void pr_max_into(uint8_t *pooled, const uint8_t *last, size_t n);
void pr_area_resize(const uint8_t *src, const struct pr_obs_spec *s, uint32_t *acc, uint8_t *dst);

/* audio.c */
void pr_audio_sample(pr_emu *e, int16_t left, int16_t right);
size_t pr_audio_batch(pr_emu *e, const int16_t *data, size_t frames);

#endif
