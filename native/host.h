/* pettingretro's libretro host: the C API that pettingretro._native exposes to Python.
 *
 * This file is also the cffi cdef: native/_build.py feeds it to cffi with the preprocessor lines
 * removed, so keep it to plain declarations with literal values. Functions return PR_OK or a
 * negative PR_E* code and leave a message in pr_error(); they never print, exit or abort. Every
 * number Python needs (libretro ids, limits, flags) is declared here and reaches Python as
 * lib.PR_*; the values that mirror libretro's are checked against native/libretro_abi.h by the
 * compiler (core.c). The implementation is split by concern; native/internal.h lists the files.
 */
#ifndef PETTINGRETRO_HOST_H
#define PETTINGRETRO_HOST_H
#include <stddef.h>
#include <stdint.h>

typedef struct pr_emu pr_emu;
typedef struct pr_pool pr_pool;

enum {
    PR_OK = 0,
    PR_EINVAL = -1,
    PR_ECORE = -2,
    PR_EROM = -3, /* the core refused the ROM */
    PR_ESTATE = -4,
    PR_ECLOSED = -5,
    PR_EBUSY = -6,
    PR_ESHUTDOWN = -7,
    PR_ENOMEM = -8,
    PR_EIO = -9,
    PR_ENOSLOT = -10,
    PR_EUNSUPPORTED = -11,
    PR_ENOROM = -12, /* the ROM file cannot be opened or read */
    PR_LOG_PENDING = 1
};

/* Screen modes; PR_OBS_RAM is a pool observation mode only (the frame is the RAM). */
enum { PR_SCREEN_RGB = 0, PR_SCREEN_GRAY = 1, PR_OBS_RAM = 2 };

/* Limits. PR_MAX_FRAMES: frames one step may run (about 28 minutes of play at 60 fps).
 * PR_MAX_THREADS: threads of one pool. PR_RESIZE_MAX_ROW: values (width x channels) of one row
 * an area resize reads, the size of each pool thread's preallocated scratch row. */
enum {
    PR_MAX_PORTS = 8,
    PR_MAX_SLOTS = 1024,
    PR_MAX_THREADS = 64,
    PR_MAX_FRAMES = 100000,
    PR_RESIZE_MAX_ROW = 8192
};

/* libretro's numbers, as Python needs them: retro_get_memory_data ids (RETRO_MEMORY_*), pixel
 * formats (RETRO_PIXEL_FORMAT_*), memory descriptor flags (RETRO_MEMDESC_*), log levels
 * (RETRO_LOG_*). */
enum {
    PR_MEMORY_SAVE_RAM = 0,
    PR_MEMORY_RTC = 1,
    PR_MEMORY_SYSTEM_RAM = 2,
    PR_MEMORY_VIDEO_RAM = 3
};
enum { PR_PIXEL_0RGB1555 = 0, PR_PIXEL_XRGB8888 = 1, PR_PIXEL_RGB565 = 2 };
enum {
    PR_MEMDESC_CONST = 1,
    PR_MEMDESC_BIGENDIAN = 2,
    PR_MEMDESC_SYSTEM_RAM = 4,
    PR_MEMDESC_SAVE_RAM = 8,
    PR_MEMDESC_VIDEO_RAM = 16
};
enum { PR_LOG_DEBUG = 0, PR_LOG_INFO = 1, PR_LOG_WARN = 2, PR_LOG_ERROR = 3 };

/* pr_run flags. VIDEO: keep the last frame's picture. CONTINUE: this call carries on the step
 * the previous call began (the audio kept so far stays; see pr_audio_set). */
enum { PR_RUN_VIDEO = 1, PR_RUN_CONTINUE = 2 };

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

/* Stepping. pr_run runs `frames` (at most PR_MAX_FRAMES) frames with the held buttons; flags are
 * PR_RUN_*. pr_run_for is pr_run that returns early, once `budget_ms` of wall time passed, with
 * *ran < frames: a long step is a loop of these calls, so Python can take signals (Ctrl-C) in
 * between; `frames` is what is left of the step, so the picture is kept on the step's last frame
 * only. pr_step sets every port's buttons and runs (flags PR_RUN_*); when dst is not NULL it
 * also keeps the last frame and converts it into dst (mode PR_SCREEN_*). */
int pr_run(pr_emu *e, unsigned frames, int flags);
int pr_run_for(pr_emu *e, unsigned frames, int flags, unsigned budget_ms, unsigned *ran);
int pr_step(pr_emu *e, const uint16_t *buttons, unsigned nports, unsigned frames, int flags,
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

/* Batched stepping of many emulators on worker threads (GIL released by cffi). A pool is one
 * caller's: pr_pool_create(nthreads) starts nthreads - 1 workers (the calling thread is the
 * last), each with its own preallocated scratch, so stepping allocates nothing; two pools step
 * at the same time on two threads; one pool used by two threads at once answers PR_EBUSY.
 * pr_pool_close stops the workers (PR_EBUSY while a step runs), pr_pool_destroy frees it.
 * buttons holds PR_MAX_PORTS masks per emulator. rcs receives each emulator's return code;
 * the call returns the worst, or a code of its own (with pr_pool_error) when it ran nothing. */
int pr_pool_create(unsigned nthreads, pr_pool **out);
int pr_pool_close(pr_pool *p);
void pr_pool_destroy(pr_pool *p);
unsigned pr_pool_threads(const pr_pool *p);
const char *pr_pool_error(const pr_pool *p);
int pr_pool_step(pr_pool *p, pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                 int video, int *rcs);

/* Observation rows in their final layout: emulator i's agent a's row starts at
 * rows + i * game_stride + a * row_stride and holds `stack` frames, oldest first (what follows
 * them, agent indicators say, is left alone). A frame is height x width x channels: `planes`
 * lays frames out as (channels, height, width) planes one after another, else interleaved, pixel
 * p's channels of frame k at p * pixel_stride + k * channels. Each step shifts every row's stack
 * one frame older and puts the new frame last; a row whose `alive` byte (n x agents; NULL: all
 * alive) is 0 gets a stack of zeros instead. RAM: height 1, width its size, 1 channel, planes.
 * `direct` (stack 1, a row laid out as the frame itself, no max_pool, no resize): the frame is
 * made straight in the first live row (row 0 when none is) and copied to the others; `last` is
 * then not written. */
struct pr_rows_spec {
    uint8_t *rows;
    size_t game_stride;
    size_t row_stride;
    unsigned agents;
    const uint8_t *alive;
    unsigned stack;
    unsigned height;
    unsigned width;
    unsigned channels;
    int planes;
    unsigned pixel_stride;
    int direct;
};

/* Batched stepping that also makes each emulator's observation, on the pool threads.
 * Per emulator: run frames-1 frames, convert the picture (mode PR_SCREEN_*) into its `last`
 * buffer, run the last frame, convert into `last`, and with max_pool keep in `pooled` the
 * pixel-wise max of the two (frames must then be >= 2). With out_h > 0 the pooled (or last)
 * frame is then resampled by area into `dst` with the taps AreaResize computes: output row j is
 * sum_t h_weight[j,t] * row h_index[j,t], output column i likewise, then (acc + divisor/2) /
 * divisor; the picture must then be src_w x src_h, src_w x channels <= PR_RESIZE_MAX_ROW.
 * Buffers are per emulator, `*_stride` bytes apart.
 * Mode PR_OBS_RAM: the frame is the RAM, `frame_stride` bytes: SYSTEM_RAM, then `nregions`
 * regions of the core's memory map, each found by its start address when it is copied (a
 * reload may move them) and `region_len` bytes long; the frames run with video when `video`.
 * With `rows` the new frame (resized, pooled or last) also goes into its final place in the
 * vector env's observation rows (struct pr_rows_spec).
 * With `deltas` each emulator's paddle motion (pr_paddles_move) is set from its row of
 * `ndeltas` values before its frames (an emulator without paddles ignores it; one with more
 * paddles than ndeltas fails). With `outcomes` (one struct pr_outcome per emulator) each one's
 * variables are decoded and its plain scenario weighed on the thread that ran its frames, right
 * after them, for `frames` frames; over[i] gets the done flag. */
struct pr_outcome;
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
    int video;
    unsigned nregions;
    const uint64_t *region_start;
    const uint64_t *region_len;
    const struct pr_rows_spec *rows;
    const int32_t *deltas;
    unsigned ndeltas;
    const struct pr_outcome *outcomes;
    uint8_t *over;
};
int pr_pool_step_obs(pr_pool *p, pr_emu **emus, unsigned n, const uint16_t *buttons,
                     unsigned frames, int *rcs, const struct pr_obs_spec *spec);

/* The same on a process-wide pool of `nthreads` threads shared by every caller (one at a time;
 * it grows to the most threads asked for): what came before per-caller pools. */
int pr_step_many(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames, int video,
                 unsigned nthreads, int *rcs);
int pr_step_many_obs(pr_emu **emus, unsigned n, const uint16_t *buttons, unsigned frames,
                     unsigned nthreads, int *rcs, const struct pr_obs_spec *spec);
const char *pr_step_many_error(void);

/* Audio. Off until pr_audio_set gives a buffer of `capacity` int16 stereo sample frames
 * (L R L R ..., 4 bytes a frame) that the caller owns and keeps alive; NULL turns it off again.
 * While on, every step (a pr_run or pr_step without PR_RUN_CONTINUE) starts the buffer empty
 * and the core's samples are appended; pr_audio_count says how many frames the last step kept
 * and how many did not fit. Off, the audio callbacks return at once. */
int pr_audio_set(pr_emu *e, int16_t *buf, size_t capacity);
void pr_audio_count(const pr_emu *e, size_t *kept, size_t *lost);

/* Screen. */
int pr_screen(pr_emu *e, uint8_t *dst, size_t dst_size, int mode);
/* The SIMD level of the pixel conversions (0 scalar, 1 SSSE3, 2 AVX2): caps it at `cap` (-1
 * leaves it) and returns the level in effect on this CPU. Every level gives the same bytes. */
int pr_simd_level(int cap);
void pr_screen_size(const pr_emu *e, unsigned *width, unsigned *height);

/* Memory and state. */
uint8_t *pr_memory(pr_emu *e, unsigned id, size_t *size);
unsigned pr_memory_map_count(const pr_emu *e);
int pr_memory_map_get(const pr_emu *e, unsigned i, struct pr_memdesc *out);
size_t pr_state_size(pr_emu *e);
int pr_save_state(pr_emu *e, uint8_t *dst, size_t dst_size, size_t *written);
int pr_load_state(pr_emu *e, const uint8_t *src, size_t size);

/* Tile grids decoded in C from a core's save state (tiles.c): gambatte (Game Boy and Game Boy
 * Color) and fceumm (NES). Python finds where the fields lie in one state (pettingretro/tiles/)
 * and passes the offsets, found in a state of state_size bytes, in a pr_tiles_spec:
 *   PR_TILES_GAMEBOY: at[0] VRAM (16 KiB, both banks), at[1] $FE00-$FFFF (512 bytes);
 *     flags PR_TILES_COLOR; rows x cols must be 18 x 20.
 *   PR_TILES_NES: at[0] NTAR (2 KiB), at[1] SPRA (256), at[2] PPUR (4), at[3] TADD (2), at[4]
 *     XOFF (1); flags PR_TILES_VERTICAL (vertical mirroring); the grid is rows x cols cells of
 *     the picture cropped by crop_y lines and crop_x columns.
 * pr_tiles serializes the emulator into a buffer the host owns (made at load, remade only when
 * the state's size changes) and decodes it into out (rows * cols uint16, row-major); pr_tiles_decode
 * decodes a state the caller holds. Both return PR_TILES_RELAYOUT, writing nothing, when the
 * state is not state_size bytes (find the offsets again), PR_EINVAL for a spec that does not fit
 * the state or out; pr_tiles_check writes why into `why` (NUL-terminated, at most cap bytes) and
 * returns PR_EINVAL, or returns PR_OK. */
enum { PR_TILES_GAMEBOY = 1, PR_TILES_NES = 2 };
enum { PR_TILES_COLOR = 1, PR_TILES_VERTICAL = 2 };
enum { PR_TILES_FIELDS = 8, PR_TILES_RELAYOUT = 2 };
struct pr_tiles_spec {
    int kind;
    int flags;
    size_t state_size;
    size_t at[8];
    unsigned rows;
    unsigned cols;
    unsigned crop_y;
    unsigned crop_x;
};
int pr_tiles_check(const struct pr_tiles_spec *s, size_t size, size_t out_len, char *why, size_t cap);
int pr_tiles_decode(const uint8_t *state, size_t size, const struct pr_tiles_spec *s, uint16_t *out,
                    size_t out_len);
int pr_tiles(pr_emu *e, const struct pr_tiles_spec *s, uint16_t *out, size_t out_len);

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

/* Integration variables (native/memory.c): typed reads of memory blocks and the scenario's plain
 * reward and done terms, run once per step with no per-variable Python. A pr_var says where each
 * byte of one variable lies (block, index: Python checks them against the blocks' sizes once)
 * and what one unit of it is worth (shift, in two's-complement 64-bit arithmetic as
 * stable-retro's DataType::decode); kind 0 takes a byte as it is, 1 as two BCD digits, 2 as its
 * low nibble's digit; sext = 64 - 8 * width for signed types (else 0); mask is ANDed last.
 * pr_read_vars copies out[] to prev[] (when prev is not NULL), then decodes every variable into
 * out[]. A pr_term measures values[var] (delta: values[var] - prev[var], exactly), applies op
 * (PR_OP_*, or -1 for none) with reference, and adds value * reward (> 0) or value * penalty
 * (< 0) to rewards[target], or (target -1 - k) is a term of the done condition's node k (node 0
 * the top one: any (done_all 0) or all of its terms and child nodes holding (> 0); below).
 * rewards[p] starts at per_frame[p] * frames. Returns done (0/1). */
enum {
    PR_OP_EQUAL = 0,
    PR_OP_NEGATIVE_EQUAL = 1,
    PR_OP_NOT_EQUAL = 2,
    PR_OP_LESS_THAN = 3,
    PR_OP_GREATER_THAN = 4,
    PR_OP_LESS_OR_EQUAL = 5,
    PR_OP_GREATER_OR_EQUAL = 6,
    PR_OP_NONZERO = 7,
    PR_OP_ZERO = 8,
    PR_OP_POSITIVE = 9,
    PR_OP_NEGATIVE = 10,
    PR_OP_SIGN = 11
};
struct pr_var {
    int32_t block;
    int32_t width;
    int32_t kind;
    int32_t sext;
    int64_t mask;
    uint32_t index[8];
    uint64_t shift[8];
};
struct pr_term {
    int32_t var;
    int32_t target;
    int32_t delta;
    int32_t op;
    int64_t reference;
    double reward;
    double penalty;
};
void pr_read_vars(const struct pr_var *vars, size_t n, uint8_t *const *blocks, int64_t *out,
                  int64_t *prev);
/* A done condition's nested node (pr_weigh_terms): node 0 is the top one (done_all says how its
 * terms and children combine); nodes[i] describes node i + 1, whose parent (< i + 1) counts its
 * value as one of its own terms; a done term of node k has target -1 - k. */
enum { PR_MAX_DONE_NODES = 64 };
struct pr_done_node {
    int32_t parent;
    int32_t all;
};
int pr_weigh_terms(const struct pr_term *terms, size_t n, const int64_t *values,
                   const int64_t *prev, int done_all, const struct pr_done_node *nodes,
                   size_t nnodes, const double *per_frame, unsigned players, unsigned frames,
                   double *rewards);

/* One game's outcome as a pool thread runs it after the game's frames (pr_obs_spec.outcomes):
 * pr_read_vars(vars, nvars, blocks, values, prev), then pr_weigh_terms over them into rewards
 * (nterms 0 and terms NULL: rewards untouched, never done). */
struct pr_outcome {
    const struct pr_var *vars;
    size_t nvars;
    uint8_t *const *blocks;
    int64_t *values;
    int64_t *prev;
    const struct pr_term *terms;
    size_t nterms;
    int done_all;
    const struct pr_done_node *nodes;
    size_t nnodes;
    const double *per_frame;
    unsigned players;
    double *rewards;
};
int pr_run_outcome(const struct pr_outcome *o, unsigned frames);

#endif
