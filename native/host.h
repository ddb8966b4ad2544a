/* pettingretro's libretro host: the C API that pettingretro._native exposes to Python.
 *
 * This file is also the cffi cdef: native/_build.py feeds it to cffi with the preprocessor lines
 * removed, so keep it to plain declarations. Functions return PR_OK or a negative PR_E* code and
 * leave a message in pr_error(); they never print, exit or abort.
 */
#ifndef PETTINGRETRO_HOST_H
#define PETTINGRETRO_HOST_H
#include <stddef.h>
#include <stdint.h>

typedef struct pr_emu pr_emu;

enum {
    PR_OK = 0,
    PR_EINVAL = -1,
    PR_ECORE = -2,
    PR_EROM = -3,
    PR_ESTATE = -4,
    PR_ECLOSED = -5,
    PR_EBUSY = -6,
    PR_ESHUTDOWN = -7,
    PR_ENOMEM = -8,
    PR_EIO = -9,
    PR_ENOSLOT = -10,
    PR_EUNSUPPORTED = -11,
    PR_LOG_PENDING = 1
};

enum { PR_SCREEN_RGB = 0, PR_SCREEN_GRAY = 1 };

enum { PR_MAX_PORTS = 8, PR_MAX_SLOTS = 1024 };

struct pr_memdesc {
    uint64_t flags;
    uint8_t *ptr;
    size_t offset;
    size_t start;
    size_t select;
    size_t disconnect;
    size_t len;
    const char *addrspace;
};

struct pr_info {
    const char *library_name;
    const char *library_version;
    const char *valid_extensions;
    int need_fullpath;
    int block_extract;
    double fps;
    double sample_rate;
    unsigned base_width;
    unsigned base_height;
    unsigned max_width;
    unsigned max_height;
    float aspect_ratio;
    int pixel_format;
    unsigned serialization_quirks;
    int asked_av_enable;
    int input_bitmasks;
};

/* Lifecycle. pr_create never fails except for lack of memory (NULL). pr_close unloads the game
 * and deinitialises the core; pr_destroy also unmaps the library and frees the emulator. */
pr_emu *pr_create(void);
const char *pr_error(const pr_emu *e);
int pr_open_core(pr_emu *e, const char *core_path, const char *tmp_dir, const char *system_dir,
                 const char *save_dir, unsigned num_ports);
int pr_load_game(pr_emu *e, const char *rom_path, unsigned seed);
int pr_close(pr_emu *e);
void pr_destroy(pr_emu *e);
int pr_is_open(const pr_emu *e);

/* Stepping. pr_step sets every port's buttons, runs `frames` frames, and, when dst is not NULL,
 * converts the last frame into dst (mode PR_SCREEN_*). video=0 skips keeping any picture. */
int pr_run(pr_emu *e, unsigned frames, int video);
int pr_step(pr_emu *e, const uint16_t *buttons, unsigned nports, unsigned frames, int video,
            uint8_t *dst, size_t dst_size, int mode);
int pr_set_buttons(pr_emu *e, unsigned port, uint16_t mask);
int pr_set_analog(pr_emu *e, unsigned port, unsigned index, unsigned axis, int16_t value);
int pr_reset(pr_emu *e, unsigned seed);
int pr_reload(pr_emu *e, unsigned seed);
uint64_t pr_frame(const pr_emu *e);
void pr_set_frame(pr_emu *e, uint64_t frame);
int pr_shutdown_requested(const pr_emu *e);

/* Host-owned paddles. Some cores (Stella) keep a paddle's resistance as an int32 at a fixed
 * offset from the end of their save state and only rewrite it when their own paddle input moves.
 * The host then owns the paddle model: before any frame in which a paddle's value changes it
 * patches the state. Deltas are applied every frame, clamped to [lo, hi], held until changed. */
int pr_paddles_config(pr_emu *e, unsigned n, const int32_t *offsets_from_end, int32_t lo, int32_t hi);
int pr_paddles_set(pr_emu *e, const int32_t *values);
int pr_paddles_move(pr_emu *e, const int32_t *deltas);
int pr_paddles_get(const pr_emu *e, int32_t *values);

/* Batched stepping of many emulators on a pool of `nthreads` threads (GIL released by cffi).
 * buttons holds PR_MAX_PORTS masks per emulator. rcs receives each emulator's return code. */
int pr_step_many(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames, int video,
                 unsigned nthreads, int *rcs);

/* Batched stepping that also makes each emulator's observation, on the pool threads.
 * Per emulator: run frames-1 frames, convert the picture (mode PR_SCREEN_*) into its `last`
 * buffer, run the last frame, convert into `last`, and with max_pool keep in `pooled` the
 * pixel-wise max of the two (frames must then be >= 2). With out_h > 0 the pooled (or last)
 * frame is then resampled by area into `dst` with the taps AreaResize computes: output row j is
 * sum_t h_weight[j,t] * row h_index[j,t], output column i likewise, then (acc + divisor/2) /
 * divisor; the picture must then be src_w x src_h. Buffers are per emulator, `*_stride` bytes
 * apart. */
struct pr_obs_spec {
    int mode;
    int max_pool;
    uint8_t *last;
    uint8_t *pooled;
    size_t frame_stride;
    unsigned src_h;
    unsigned src_w;
    unsigned out_h;
    unsigned out_w;
    unsigned h_taps;
    unsigned w_taps;
    const int32_t *h_index;
    const uint32_t *h_weight;
    const int32_t *w_index;
    const uint32_t *w_weight;
    uint32_t divisor;
    uint8_t *dst;
    size_t dst_stride;
};
int pr_step_many_obs(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                     unsigned nthreads, int *rcs, const struct pr_obs_spec *spec);

/* Screen. */
int pr_screen(pr_emu *e, uint8_t *dst, size_t dst_size, int mode);
void pr_screen_size(const pr_emu *e, unsigned *width, unsigned *height);

/* Memory and state. */
uint8_t *pr_memory(pr_emu *e, unsigned id, size_t *size);
unsigned pr_memory_map_count(const pr_emu *e);
int pr_memory_map_get(const pr_emu *e, unsigned i, struct pr_memdesc *out);
size_t pr_state_size(pr_emu *e);
int pr_save_state(pr_emu *e, uint8_t *dst, size_t dst_size, size_t *written);
int pr_load_state(pr_emu *e, const uint8_t *src, size_t size);

/* Information. */
int pr_get_info(const pr_emu *e, struct pr_info *out);

/* Core options: defaults come from the core, overrides from the user (by key). */
int pr_option_count(const pr_emu *e);
const char *pr_option_key(const pr_emu *e, int i);
const char *pr_option_desc(const pr_emu *e, int i);
const char *pr_option_value(const pr_emu *e, int i);
const char *pr_option_default(const pr_emu *e, int i);
int pr_option_nvalues(const pr_emu *e, int i);
const char *pr_option_value_at(const pr_emu *e, int i, int j);
int pr_option_set(pr_emu *e, const char *key, const char *value);

/* The core's log: messages queue in C (cores may log from their own threads) and Python drains
 * them after a call returned PR_LOG_PENDING. Returns 1 when a message was popped. */
int pr_log_pop(pr_emu *e, int *level, char *buf, size_t cap);

#endif
