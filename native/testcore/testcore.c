/*
 * testcore.c -- a tiny libretro core used as a test fixture for pettingretro.
 *
 * It is NOT shipped with the package; the test-suite compiles it on the fly:
 *
 *     cc -shared -fPIC -O1 -o testcore_libretro.so testcore.c
 *
 * The few libretro ABI declarations it needs are written out below by hand
 * (numeric values as fixed by the libretro API, version 1), so the file has no
 * dependencies beyond the C standard library.
 *
 * ---------------------------------------------------------------------------
 * Configuration: the "ROM" is a text file of key=value tokens separated by
 * whitespace or newlines ('#' starts a comment that runs to end of line).
 * Unknown keys are ignored.  Keys:
 *
 *   pixel_format=0rgb1555|xrgb8888|rgb565
 *                      absent: SET_PIXEL_FORMAT is never called, so the
 *                      libretro default 0RGB1555 applies.
 *   width=W height=H   picture size (default 64x48, max 1024x1024)
 *   pitch_pad=N        bytes of padding at the end of every row (filled with
 *                      garbage 0xCD so a host that ignores pitch is caught)
 *   dirty_x=1          fill the unused bits (X byte of XRGB8888, bit 15 of
 *                      0RGB1555) with garbage; a host must ignore them
 *   options=none|v0|v1|v2
 *                      declare core options in that style (v1 and v2 fall
 *                      back to v0 when the host's GET_CORE_OPTIONS_VERSION
 *                      is too low; RAM[48] records the style actually used)
 *   ports=N            (0..8, default 0) read joypad of ports 0..N-1 each frame
 *   bitmasks=0|1       1: read the joypad with one RETRO_DEVICE_ID_JOYPAD_MASK
 *                      query when the host supports GET_INPUT_BITMASKS;
 *                      0 (default): 16 per-button queries
 *   analog=1           also read both analog sticks of ports 0..3
 *   probe_null=1       at retro_load_game, call the environment callback with
 *                      data==NULL for every command 1..80 (and the same with
 *                      the EXPERIMENTAL flag), except SHUTDOWN.  The same probe
 *                      runs in retro_set_environment and retro_init when the
 *                      process environment variable TESTCORE_PROBE_NULL=1 is
 *                      set (the ROM is not known yet at those points).
 *   shutdown_at=F      call RETRO_ENVIRONMENT_SHUTDOWN during frame F
 *   refuse_load=1      retro_load_game logs an ERROR and returns false
 *   fail_serialize=1   retro_serialize (and retro_unserialize) return false,
 *                      retro_serialize_size stays nonzero
 *   dupe_every=K       when frame % K == 0, call video_refresh(NULL, ...)
 *                      ("dupe the previous frame") instead of rendering
 *   crash_at=F         dereference NULL during frame F (crash-isolation fixture;
 *                      never trigger this in-process)
 *   log=1              log "testcore loaded" at level WARN on load
 *   frame_ms=N         sleep N ms in every frame (a slow core, for long steps)
 *   vram_map=1         also declare a 256-byte video RAM (bytes 0, 1, ..., 255 at
 *                      load) as a second memory descriptor, flagged
 *                      RETRO_MEMDESC_VIDEO_RAM, start 0x8000, and nowhere else
 *   audio=batch|sample|none
 *                      how the frame's sound reaches the host (default batch:
 *                      one audio_sample_batch call; sample: one audio_sample
 *                      call per stereo frame; none: no sound)
 *   rendezvous=ADDR    (with rendezvous_n=N) in frame rendezvous_at (default
 *                      1), add 1 to the int32 at process address ADDR (decimal
 *                      or 0x hex: a test's numpy array) and wait until it
 *                      reaches N, or give up after rendezvous_ms (default
 *                      30000) ms; RAM[56] says which.
 *                      N emulators that all pass means their frames ran at
 *                      the same time: copies of this core share nothing else.
 *
 * ---------------------------------------------------------------------------
 * SYSTEM_RAM (64 bytes, RETRO_MEMORY_SYSTEM_RAM, also declared via
 * SET_MEMORY_MAPS as one descriptor, flags RETRO_MEMDESC_SYSTEM_RAM, start 0,
 * len 64):
 *
 *   0 + 2*p   (p=0..7)  uint16 LE joypad mask read from port p this frame
 *  16 + 8*p   (p=0..3)  int16 LE analog left X, left Y, right X, right Y
 *  48                   option style in effect: 0 none, 1 v0, 2 v1, 3 v2
 *  49                   colour index c from option "testcore_color"
 *                       (red=0 green=1 blue=2 white=3)
 *  50                   value of option "testcore_big" (v0 only, 0..199)
 *  51                   how many times GET_VARIABLE_UPDATE reported a change
 *  52                   pixel format in effect (0=0RGB1555 1=XRGB8888 2=RGB565)
 *  53                   1 if the last joypad read used the bitmask query
 *  54                   value the host answered to GET_CAN_DUPE (0/1)
 *  55                   1 once SHUTDOWN was requested
 *  56                   rendezvous: 1 met (all N arrived), 2 gave up
 *  60..63               uint32 LE frame counter (frames run since load/reset)
 *
 * ---------------------------------------------------------------------------
 * Picture.  retro_run first increments the frame counter f, then renders.
 * Pixel (x, y) of frame f with colour index c has native channel values
 *
 *   XRGB8888:  R = x & 255   G = y & 255   B = (7*f + 64*c) & 255
 *   RGB565:    R = x & 31    G = y & 63    B = (7*f + 8*c)  & 31
 *   0RGB1555:  R = x & 31    G = y & 31    B = (7*f + 8*c)  & 31
 *
 * A host converts to 8 bits as c5 -> (c5 << 3) | (c5 >> 2) and
 * c6 -> (c6 << 2) | (c6 >> 4).  Frames with f % dupe_every == 0 are not
 * rendered (video_refresh gets NULL), so the host must keep frame f-1.
 *
 * Serialization: 4 bytes magic "TCS1", uint32 LE frame counter, 64 bytes RAM.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* libretro ABI: just what this core uses                                   */

#ifndef __cplusplus
#include <stdbool.h>
#endif

#if defined(_WIN32)
#define TC_API __declspec(dllexport)
#else
#define TC_API __attribute__((visibility("default")))
#endif

enum {
    TC_API_VERSION = 1,

    TC_DEVICE_JOYPAD = 1,
    TC_DEVICE_ANALOG = 5,
    TC_DEVICE_ID_JOYPAD_MASK = 256,
    TC_DEVICE_INDEX_ANALOG_LEFT = 0,
    TC_DEVICE_INDEX_ANALOG_RIGHT = 1,
    TC_DEVICE_ID_ANALOG_X = 0,
    TC_DEVICE_ID_ANALOG_Y = 1,

    TC_MEMORY_SYSTEM_RAM = 2,
    TC_REGION_NTSC = 0,

    TC_ENV_EXPERIMENTAL = 0x10000,
    TC_ENV_GET_CAN_DUPE = 3,
    TC_ENV_SHUTDOWN = 7,
    TC_ENV_SET_PIXEL_FORMAT = 10,
    TC_ENV_SET_INPUT_DESCRIPTORS = 11,
    TC_ENV_GET_VARIABLE = 15,
    TC_ENV_SET_VARIABLES = 16,
    TC_ENV_GET_VARIABLE_UPDATE = 17,
    TC_ENV_GET_LOG_INTERFACE = 27,
    TC_ENV_SET_CONTROLLER_INFO = 35,
    TC_ENV_SET_MEMORY_MAPS = 36 | 0x10000,
    TC_ENV_GET_INPUT_BITMASKS = 51 | 0x10000,
    TC_ENV_GET_CORE_OPTIONS_VERSION = 52,
    TC_ENV_SET_CORE_OPTIONS = 53,
    TC_ENV_SET_CORE_OPTIONS_V2 = 67,

    TC_PIXEL_0RGB1555 = 0,
    TC_PIXEL_XRGB8888 = 1,
    TC_PIXEL_RGB565 = 2,

    TC_LOG_DEBUG = 0,
    TC_LOG_INFO = 1,
    TC_LOG_WARN = 2,
    TC_LOG_ERROR = 3,

    TC_MEMDESC_SYSTEM_RAM = 1 << 2,
    TC_MEMDESC_VIDEO_RAM = 1 << 4,

    TC_OPTION_VALUES_MAX = 128
};

typedef bool (*tc_environment_t)(unsigned cmd, void *data);
typedef void (*tc_video_refresh_t)(const void *data, unsigned width,
                                   unsigned height, size_t pitch);
typedef void (*tc_audio_sample_t)(int16_t left, int16_t right);
typedef size_t (*tc_audio_sample_batch_t)(const int16_t *data, size_t frames);
typedef void (*tc_input_poll_t)(void);
typedef int16_t (*tc_input_state_t)(unsigned port, unsigned device,
                                    unsigned index, unsigned id);
typedef void (*tc_log_printf_t)(int level, const char *fmt, ...);

struct tc_log_callback { tc_log_printf_t log; };

struct tc_variable { const char *key; const char *value; };

struct tc_option_value { const char *value; const char *label; };

struct tc_option_v1 {
    const char *key;
    const char *desc;
    const char *info;
    struct tc_option_value values[TC_OPTION_VALUES_MAX];
    const char *default_value;
};

struct tc_option_v2_category { const char *key; const char *desc; const char *info; };

struct tc_option_v2 {
    const char *key;
    const char *desc;
    const char *desc_categorized;
    const char *info;
    const char *info_categorized;
    const char *category_key;
    struct tc_option_value values[TC_OPTION_VALUES_MAX];
    const char *default_value;
};

struct tc_options_v2 {
    struct tc_option_v2_category *categories;
    struct tc_option_v2 *definitions;
};

struct tc_input_descriptor {
    unsigned port, device, index, id;
    const char *description;
};

struct tc_controller_description { const char *desc; unsigned id; };
struct tc_controller_info {
    const struct tc_controller_description *types;
    unsigned num_types;
};

struct tc_memory_descriptor {
    uint64_t flags;
    void *ptr;
    size_t offset, start, select, disconnect, len;
    const char *addrspace;
};
struct tc_memory_map {
    const struct tc_memory_descriptor *descriptors;
    unsigned num_descriptors;
};

struct tc_system_info {
    const char *library_name;
    const char *library_version;
    const char *valid_extensions;
    bool need_fullpath;
    bool block_extract;
};

struct tc_game_geometry {
    unsigned base_width, base_height, max_width, max_height;
    float aspect_ratio;
};
struct tc_system_timing { double fps, sample_rate; };
struct tc_system_av_info {
    struct tc_game_geometry geometry;
    struct tc_system_timing timing;
};

struct tc_game_info {
    const char *path;
    const void *data;
    size_t size;
    const char *meta;
};

/* ------------------------------------------------------------------------ */
/* state                                                                     */

#define RAM_SIZE 64
#define STATE_SIZE (4 + 4 + RAM_SIZE)
#define MAX_DIM 1024
#define SAMPLE_RATE 48000
#define FPS 60
#define AUDIO_FRAMES (SAMPLE_RATE / FPS)

static tc_environment_t env_cb;
static tc_video_refresh_t video_cb;
static tc_audio_sample_t audio_cb;
static tc_audio_sample_batch_t audio_batch_cb;
static tc_input_poll_t input_poll_cb;
static tc_input_state_t input_state_cb;
static tc_log_printf_t log_cb;

static struct {
    int pixel_format;      /* -1: never set */
    unsigned width, height, pitch_pad;
    int dirty_x;
    int options;           /* 0 none, 1 v0, 2 v1, 3 v2 (requested) */
    unsigned ports;
    int bitmasks, analog, probe_null, refuse_load, fail_serialize, log;
    unsigned shutdown_at, dupe_every, crash_at;  /* 0 = off */
    int audio;             /* 0 batch, 1 per sample, 2 none */
    unsigned frame_ms;
    int vram_map;
    int32_t *rendezvous;   /* NULL = off */
    unsigned rendezvous_n, rendezvous_at, rendezvous_ms;
} cfg;

static uint8_t ram[RAM_SIZE];
static uint32_t frame;
static uint8_t *fb;
static size_t fb_pitch;
static unsigned bpp;        /* bytes per pixel of the format in effect */
static int fmt_in_effect;
static int color_index;
static int big_value;
static int style_used;
static int16_t audio_buf[AUDIO_FRAMES * 2];

static void put_u16(unsigned off, uint16_t v)
{
    ram[off] = (uint8_t)(v & 0xff);
    ram[off + 1] = (uint8_t)(v >> 8);
}

static void put_u32(unsigned off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        ram[off + i] = (uint8_t)(v >> (8 * i));
}

static void logf_(int level, const char *fmt, const char *arg)
{
    if (log_cb)
        log_cb(level, fmt, arg);
}

/* ------------------------------------------------------------------------ */
/* null-data probe                                                           */

static void probe_null(void)
{
    if (!env_cb)
        return;
    for (unsigned cmd = 1; cmd <= 80; cmd++) {
        if (cmd == TC_ENV_SHUTDOWN)
            continue;
        env_cb(cmd, NULL);
        env_cb(cmd | TC_ENV_EXPERIMENTAL, NULL);
    }
}

static int probe_env_requested(void)
{
    const char *s = getenv("TESTCORE_PROBE_NULL");
    return s && s[0] == '1';
}

/* ------------------------------------------------------------------------ */
/* options                                                                   */

static const char *color_names[4] = { "red", "green", "blue", "white" };

static char big_desc[2048];

static const char *build_big_desc(void)
{
    size_t n = (size_t)snprintf(big_desc, sizeof big_desc, "Big option; ");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(big_desc + n, sizeof big_desc - n, i ? "|%d" : "%d", i);
    return big_desc;
}

static struct tc_option_v1 opts_v1[] = {
    { "testcore_color", "Fill colour", "Colour index used in the blue channel",
      { { "red", "Red" }, { "green", "Green" }, { "blue", "Blue" }, { "white", "White" },
        { NULL, NULL } },
      "red" },
    { "testcore_mode", "Mode", "Unused second option",
      { { "alpha", NULL }, { "beta", NULL }, { NULL, NULL } },
      "beta" },
    { NULL, NULL, NULL, { { NULL, NULL } }, NULL },
};

static struct tc_option_v2_category cats_v2[] = {
    { "video", "Video", "Picture settings" },
    { NULL, NULL, NULL },
};

static struct tc_option_v2 opts_v2[] = {
    { "testcore_color", "Video > Fill colour", "Fill colour",
      "Colour index used in the blue channel", NULL, "video",
      { { "red", "Red" }, { "green", "Green" }, { "blue", "Blue" }, { "white", "White" },
        { NULL, NULL } },
      "red" },
    { "testcore_mode", "Mode", NULL, "Unused second option", NULL, NULL,
      { { "alpha", NULL }, { "beta", NULL }, { NULL, NULL } },
      "beta" },
    { NULL, NULL, NULL, NULL, NULL, NULL, { { NULL, NULL } }, NULL },
};

static struct tc_options_v2 options_v2 = { cats_v2, opts_v2 };

static void declare_options(void)
{
    unsigned version = 0;
    style_used = 0;
    if (cfg.options == 0)
        return;
    if (!env_cb(TC_ENV_GET_CORE_OPTIONS_VERSION, &version))
        version = 0;
    if (cfg.options == 3 && version >= 2 && env_cb(TC_ENV_SET_CORE_OPTIONS_V2, &options_v2)) {
        style_used = 3;
        return;
    }
    if (cfg.options == 2 && version >= 1 && env_cb(TC_ENV_SET_CORE_OPTIONS, opts_v1)) {
        style_used = 2;
        return;
    }
    /* v0, also the fallback for v1/v2 */
    {
        struct tc_variable vars[4];
        unsigned n = 0;
        vars[n].key = "testcore_color";
        vars[n++].value = "Fill colour; red|green|blue|white";
        vars[n].key = "testcore_mode";
        vars[n++].value = "Mode; beta|alpha";
        if (cfg.options == 1) {
            vars[n].key = "testcore_big";
            vars[n++].value = build_big_desc();
        }
        vars[n].key = NULL;
        vars[n].value = NULL;
        if (env_cb(TC_ENV_SET_VARIABLES, vars))
            style_used = 1;
    }
}

static void read_options(void)
{
    struct tc_variable var;
    color_index = 0;
    big_value = 0;
    if (style_used == 0)
        return;
    var.key = "testcore_color";
    var.value = NULL;
    if (env_cb(TC_ENV_GET_VARIABLE, &var) && var.value) {
        for (int i = 0; i < 4; i++)
            if (strcmp(var.value, color_names[i]) == 0)
                color_index = i;
    }
    if (style_used == 1 && cfg.options == 1) {
        var.key = "testcore_big";
        var.value = NULL;
        if (env_cb(TC_ENV_GET_VARIABLE, &var) && var.value)
            big_value = atoi(var.value);
    }
    ram[49] = (uint8_t)color_index;
    ram[50] = (uint8_t)big_value;
}

/* ------------------------------------------------------------------------ */
/* config parsing                                                            */

static void set_defaults(void)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.pixel_format = -1;
    cfg.width = 64;
    cfg.height = 48;
}

static void apply_kv(const char *k, const char *v)
{
    unsigned long n = strtoul(v, NULL, 10);
    if (!strcmp(k, "pixel_format")) {
        if (!strcmp(v, "0rgb1555")) cfg.pixel_format = TC_PIXEL_0RGB1555;
        else if (!strcmp(v, "xrgb8888")) cfg.pixel_format = TC_PIXEL_XRGB8888;
        else if (!strcmp(v, "rgb565")) cfg.pixel_format = TC_PIXEL_RGB565;
    } else if (!strcmp(k, "width")) cfg.width = (unsigned)n;
    else if (!strcmp(k, "height")) cfg.height = (unsigned)n;
    else if (!strcmp(k, "pitch_pad")) cfg.pitch_pad = (unsigned)n;
    else if (!strcmp(k, "dirty_x")) cfg.dirty_x = n != 0;
    else if (!strcmp(k, "options")) {
        if (!strcmp(v, "v0")) cfg.options = 1;
        else if (!strcmp(v, "v1")) cfg.options = 2;
        else if (!strcmp(v, "v2")) cfg.options = 3;
        else cfg.options = 0;
    } else if (!strcmp(k, "ports")) cfg.ports = n > 8 ? 8 : (unsigned)n;
    else if (!strcmp(k, "bitmasks")) cfg.bitmasks = n != 0;
    else if (!strcmp(k, "analog")) cfg.analog = n != 0;
    else if (!strcmp(k, "probe_null")) cfg.probe_null = n != 0;
    else if (!strcmp(k, "shutdown_at")) cfg.shutdown_at = (unsigned)n;
    else if (!strcmp(k, "refuse_load")) cfg.refuse_load = n != 0;
    else if (!strcmp(k, "fail_serialize")) cfg.fail_serialize = n != 0;
    else if (!strcmp(k, "dupe_every")) cfg.dupe_every = (unsigned)n;
    else if (!strcmp(k, "crash_at")) cfg.crash_at = (unsigned)n;
    else if (!strcmp(k, "log")) cfg.log = n != 0;
    else if (!strcmp(k, "audio")) cfg.audio = !strcmp(v, "sample") ? 1 : !strcmp(v, "none") ? 2 : 0;
    else if (!strcmp(k, "rendezvous"))
        cfg.rendezvous = (int32_t *)(uintptr_t)strtoull(v, NULL, 0);
    else if (!strcmp(k, "frame_ms")) cfg.frame_ms = (unsigned)n;
    else if (!strcmp(k, "vram_map")) cfg.vram_map = n != 0;
    else if (!strcmp(k, "rendezvous_n")) cfg.rendezvous_n = (unsigned)n;
    else if (!strcmp(k, "rendezvous_at")) cfg.rendezvous_at = (unsigned)n;
    else if (!strcmp(k, "rendezvous_ms")) cfg.rendezvous_ms = (unsigned)n;
}

/* Wait (napping) until N emulators reached this point, or rendezvous_ms passed. */
static void rendezvous(void)
{
    struct timespec t0, now, nap = { 0, 100000 };
    int32_t n = (int32_t)cfg.rendezvous_n;
    long limit_ms = cfg.rendezvous_ms ? (long)cfg.rendezvous_ms : 30000;
    __atomic_add_fetch(cfg.rendezvous, 1, __ATOMIC_SEQ_CST);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (__atomic_load_n(cfg.rendezvous, __ATOMIC_SEQ_CST) >= n) {
            ram[56] = 1;
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited_ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (waited_ms >= limit_ms) {
            ram[56] = 2;
            return;
        }
        nanosleep(&nap, NULL);
    }
}

static void parse_config(const char *text, size_t size)
{
    char tok[256];
    size_t i = 0;
    set_defaults();
    while (i < size) {
        char ch = text[i];
        if (ch == '#') {
            while (i < size && text[i] != '\n')
                i++;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\0') {
            i++;
            continue;
        }
        size_t n = 0;
        while (i < size && text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
               text[i] != '\n' && text[i] != '\0' && text[i] != '#') {
            if (n < sizeof tok - 1)
                tok[n++] = text[i];
            i++;
        }
        tok[n] = '\0';
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = '\0';
            apply_kv(tok, eq + 1);
        }
    }
    if (cfg.width == 0 || cfg.width > MAX_DIM) cfg.width = 64;
    if (cfg.height == 0 || cfg.height > MAX_DIM) cfg.height = 48;
    if (cfg.pitch_pad > 4096) cfg.pitch_pad = 4096;
}

/* ------------------------------------------------------------------------ */
/* libretro entry points                                                     */

TC_API unsigned retro_api_version(void) { return TC_API_VERSION; }

static const struct tc_controller_description port_types[] = {
    { "Joypad", TC_DEVICE_JOYPAD },
    { "Analog pad", TC_DEVICE_ANALOG },
};

TC_API void retro_set_environment(tc_environment_t cb)
{
    static struct tc_controller_info ports[5];
    env_cb = cb;
    if (probe_env_requested())
        probe_null();
    for (unsigned p = 0; p < 4; p++) {
        ports[p].types = port_types;
        ports[p].num_types = 2;
    }
    ports[4].types = NULL;
    ports[4].num_types = 0;
    env_cb(TC_ENV_SET_CONTROLLER_INFO, ports);
}

TC_API void retro_set_video_refresh(tc_video_refresh_t cb) { video_cb = cb; }
TC_API void retro_set_audio_sample(tc_audio_sample_t cb) { audio_cb = cb; }
TC_API void retro_set_audio_sample_batch(tc_audio_sample_batch_t cb) { audio_batch_cb = cb; }
TC_API void retro_set_input_poll(tc_input_poll_t cb) { input_poll_cb = cb; }
TC_API void retro_set_input_state(tc_input_state_t cb) { input_state_cb = cb; }

TC_API void retro_init(void)
{
    struct tc_log_callback lcb;
    if (probe_env_requested())
        probe_null();
    log_cb = NULL;
    lcb.log = NULL;
    if (env_cb && env_cb(TC_ENV_GET_LOG_INTERFACE, &lcb))
        log_cb = lcb.log;
    set_defaults();
}

TC_API void retro_deinit(void)
{
    free(fb);
    fb = NULL;
    log_cb = NULL;
}

TC_API void retro_get_system_info(struct tc_system_info *info)
{
    memset(info, 0, sizeof *info);
    info->library_name = "testcore";
    info->library_version = "1.0";
    info->valid_extensions = "txt|testcore";
    info->need_fullpath = false;
    info->block_extract = false;
}

TC_API void retro_get_system_av_info(struct tc_system_av_info *info)
{
    memset(info, 0, sizeof *info);
    info->geometry.base_width = cfg.width;
    info->geometry.base_height = cfg.height;
    info->geometry.max_width = cfg.width;
    info->geometry.max_height = cfg.height;
    info->geometry.aspect_ratio = (float)cfg.width / (float)cfg.height;
    info->timing.fps = FPS;
    info->timing.sample_rate = SAMPLE_RATE;
}

TC_API void retro_set_controller_port_device(unsigned port, unsigned device)
{
    (void)port;
    (void)device;
}

static void reset_ram(void)
{
    bool can_dupe = false;
    memset(ram, 0, sizeof ram);
    frame = 0;
    ram[48] = (uint8_t)style_used;
    ram[49] = (uint8_t)color_index;
    ram[50] = (uint8_t)big_value;
    ram[52] = (uint8_t)fmt_in_effect;
    if (env_cb && env_cb(TC_ENV_GET_CAN_DUPE, &can_dupe))
        ram[54] = can_dupe ? 1 : 0;
}

TC_API void retro_reset(void)
{
    reset_ram();
    if (fb)
        memset(fb, 0, fb_pitch * cfg.height);
}

static void declare_inputs(void)
{
    static const char *names[16] = {
        "B", "Y", "Select", "Start", "Up", "Down", "Left", "Right",
        "A", "X", "L", "R", "L2", "R2", "L3", "R3",
    };
    static struct tc_input_descriptor desc[8 * 20 + 1];
    unsigned n = 0;
    for (unsigned p = 0; p < cfg.ports; p++) {
        for (unsigned b = 0; b < 16; b++) {
            desc[n].port = p;
            desc[n].device = TC_DEVICE_JOYPAD;
            desc[n].index = 0;
            desc[n].id = b;
            desc[n].description = names[b];
            n++;
        }
        if (cfg.analog && p < 4) {
            for (unsigned k = 0; k < 4; k++) {
                desc[n].port = p;
                desc[n].device = TC_DEVICE_ANALOG;
                desc[n].index = k / 2;
                desc[n].id = k % 2;
                desc[n].description = (k / 2) ? ((k % 2) ? "Right Y" : "Right X")
                                              : ((k % 2) ? "Left Y" : "Left X");
                n++;
            }
        }
    }
    memset(&desc[n], 0, sizeof desc[n]);
    env_cb(TC_ENV_SET_INPUT_DESCRIPTORS, desc);
}

static uint8_t vram[256];

static void declare_memory_map(void)
{
    static struct tc_memory_descriptor d[2];
    static struct tc_memory_map map;
    memset(d, 0, sizeof d);
    d[0].flags = TC_MEMDESC_SYSTEM_RAM;
    d[0].ptr = ram;
    d[0].len = RAM_SIZE;
    d[1].flags = TC_MEMDESC_VIDEO_RAM;
    d[1].ptr = vram;
    d[1].start = 0x8000;
    d[1].len = sizeof vram;
    for (unsigned i = 0; i < sizeof vram; i++)
        vram[i] = (uint8_t)i;
    map.descriptors = d;
    map.num_descriptors = cfg.vram_map ? 2 : 1;
    env_cb(TC_ENV_SET_MEMORY_MAPS, &map);
}

TC_API bool retro_load_game(const struct tc_game_info *game)
{
    char *buf = NULL;
    const char *text = NULL;
    size_t size = 0;

    if (!game)
        return false;
    if (game->data) {
        text = (const char *)game->data;
        size = game->size;
    } else if (game->path) {
        FILE *f = fopen(game->path, "rb");
        long len;
        if (!f)
            return false;
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf) {
            fclose(f);
            return false;
        }
        size = fread(buf, 1, len > 0 ? (size_t)len : 0, f);
        fclose(f);
        text = buf;
    }
    parse_config(text ? text : "", size);
    free(buf);

    if (cfg.probe_null)
        probe_null();

    if (cfg.refuse_load) {
        logf_(TC_LOG_ERROR, "testcore %s\n", "refusing to load");
        return false;
    }

    fmt_in_effect = TC_PIXEL_0RGB1555;
    if (cfg.pixel_format >= 0) {
        unsigned pf = (unsigned)cfg.pixel_format;
        if (!env_cb(TC_ENV_SET_PIXEL_FORMAT, &pf)) {
            logf_(TC_LOG_ERROR, "testcore %s\n", "pixel format refused");
            return false;
        }
        fmt_in_effect = cfg.pixel_format;
    }
    bpp = fmt_in_effect == TC_PIXEL_XRGB8888 ? 4 : 2;
    fb_pitch = (size_t)cfg.width * bpp + cfg.pitch_pad;
    free(fb);
    fb = malloc(fb_pitch * cfg.height);
    if (!fb)
        return false;
    memset(fb, 0, fb_pitch * cfg.height);

    declare_inputs();
    declare_memory_map();
    declare_options();
    read_options();
    reset_ram();

    if (cfg.log)
        logf_(TC_LOG_WARN, "testcore %s\n", "loaded");
    return true;
}

TC_API bool retro_load_game_special(unsigned type, const struct tc_game_info *info, size_t num)
{
    (void)type;
    (void)info;
    (void)num;
    return false;
}

TC_API void retro_unload_game(void)
{
    free(fb);
    fb = NULL;
}

TC_API unsigned retro_get_region(void) { return TC_REGION_NTSC; }

static void render(void)
{
    const uint32_t f = frame;
    const unsigned c = (unsigned)color_index;
    for (unsigned y = 0; y < cfg.height; y++) {
        uint8_t *row = fb + (size_t)y * fb_pitch;
        for (unsigned x = 0; x < cfg.width; x++) {
            if (fmt_in_effect == TC_PIXEL_XRGB8888) {
                uint32_t r = x & 255, g = y & 255, b = (7 * f + 64 * c) & 255;
                uint32_t xb = cfg.dirty_x ? 0xA5u : 0u;
                uint32_t px = (xb << 24) | (r << 16) | (g << 8) | b;
                memcpy(row + 4 * (size_t)x, &px, 4);
            } else if (fmt_in_effect == TC_PIXEL_RGB565) {
                uint16_t r = x & 31, g = y & 63, b = (7 * f + 8 * c) & 31;
                uint16_t px = (uint16_t)((r << 11) | (g << 5) | b);
                memcpy(row + 2 * (size_t)x, &px, 2);
            } else {
                uint16_t r = x & 31, g = y & 31, b = (7 * f + 8 * c) & 31;
                uint16_t px = (uint16_t)((r << 10) | (g << 5) | b);
                if (cfg.dirty_x)
                    px |= 0x8000;
                memcpy(row + 2 * (size_t)x, &px, 2);
            }
        }
        if (cfg.pitch_pad)
            memset(row + (size_t)cfg.width * bpp, 0xCD, cfg.pitch_pad);
    }
}

static uint16_t read_joypad(unsigned port)
{
    uint16_t mask = 0;
    if (cfg.bitmasks && env_cb(TC_ENV_GET_INPUT_BITMASKS, NULL)) {
        mask = (uint16_t)input_state_cb(port, TC_DEVICE_JOYPAD, 0, TC_DEVICE_ID_JOYPAD_MASK);
        ram[53] = 1;
    } else {
        for (unsigned b = 0; b < 16; b++)
            if (input_state_cb(port, TC_DEVICE_JOYPAD, 0, b))
                mask |= (uint16_t)(1u << b);
        ram[53] = 0;
    }
    return mask;
}

static void update_options_if_changed(void)
{
    bool updated = false;
    if (style_used == 0)
        return;
    if (env_cb(TC_ENV_GET_VARIABLE_UPDATE, &updated) && updated) {
        ram[51]++;
        read_options();
    }
}

TC_API void retro_run(void)
{
    frame++;
    put_u32(60, frame);

    if (cfg.crash_at && frame == cfg.crash_at) {
        volatile int *volatile p = NULL;
        *p = 42; /* deliberate: crash-isolation fixture */
    }

    update_options_if_changed();

    if (input_poll_cb)
        input_poll_cb();
    if (input_state_cb) {
        for (unsigned p = 0; p < cfg.ports; p++) {
            put_u16(2 * p, read_joypad(p));
            if (cfg.analog && p < 4) {
                for (unsigned k = 0; k < 4; k++) {
                    int16_t v = input_state_cb(p, TC_DEVICE_ANALOG, k / 2, k % 2);
                    put_u16(16 + 8 * p + 2 * k, (uint16_t)v);
                }
            }
        }
    }

    if (cfg.rendezvous && frame == (cfg.rendezvous_at ? cfg.rendezvous_at : 1))
        rendezvous();
    if (cfg.frame_ms) {
        struct timespec nap = { cfg.frame_ms / 1000, (long)(cfg.frame_ms % 1000) * 1000000L };
        nanosleep(&nap, NULL);
    }

    if (cfg.shutdown_at && frame == cfg.shutdown_at) {
        ram[55] = 1;
        env_cb(TC_ENV_SHUTDOWN, NULL);
    }

    if (video_cb) {
        if (cfg.dupe_every && frame % cfg.dupe_every == 0) {
            video_cb(NULL, cfg.width, cfg.height, fb_pitch);
        } else {
            render();
            video_cb(fb, cfg.width, cfg.height, fb_pitch);
        }
    }

    for (unsigned i = 0; i < AUDIO_FRAMES; i++) {
        int16_t s = (int16_t)(((frame * AUDIO_FRAMES + i) % 200) * 100 - 10000);
        audio_buf[2 * i] = s;
        audio_buf[2 * i + 1] = (int16_t)-s;
    }
    if (cfg.audio == 2)
        return;
    if (audio_batch_cb && cfg.audio == 0)
        audio_batch_cb(audio_buf, AUDIO_FRAMES);
    else if (audio_cb)
        for (unsigned i = 0; i < AUDIO_FRAMES; i++)
            audio_cb(audio_buf[2 * i], audio_buf[2 * i + 1]);
}

TC_API size_t retro_serialize_size(void) { return STATE_SIZE; }

TC_API bool retro_serialize(void *data, size_t size)
{
    uint8_t *out = data;
    if (cfg.fail_serialize || size < STATE_SIZE || !data)
        return false;
    memcpy(out, "TCS1", 4);
    for (unsigned i = 0; i < 4; i++)
        out[4 + i] = (uint8_t)(frame >> (8 * i));
    memcpy(out + 8, ram, RAM_SIZE);
    return true;
}

TC_API bool retro_unserialize(const void *data, size_t size)
{
    const uint8_t *in = data;
    if (cfg.fail_serialize || size < STATE_SIZE || !data || memcmp(in, "TCS1", 4) != 0)
        return false;
    frame = (uint32_t)in[4] | ((uint32_t)in[5] << 8) | ((uint32_t)in[6] << 16) |
            ((uint32_t)in[7] << 24);
    memcpy(ram, in + 8, RAM_SIZE);
    return true;
}

TC_API void retro_cheat_reset(void) {}

TC_API void retro_cheat_set(unsigned index, bool enabled, const char *code)
{
    (void)index;
    (void)enabled;
    (void)code;
}

TC_API void *retro_get_memory_data(unsigned id)
{
    return id == TC_MEMORY_SYSTEM_RAM ? ram : NULL;
}

TC_API size_t retro_get_memory_size(unsigned id)
{
    return id == TC_MEMORY_SYSTEM_RAM ? RAM_SIZE : 0;
}
