/* pettingretro's libretro host, the environment callback: one switch over the commands.
 *
 * Cores probe commands with data == NULL, so every case guards it. What an RL host does not
 * offer (hardware rendering, VFS, camera, ...) is refused, and the core falls back.
 */
#include "internal.h"

#include <string.h>

__thread pr_emu *pr_perf_current;

static retro_time_t perf_time_usec_for(pr_emu *e) {
    /* deterministic: emulated time, not wall time */
    double fps = e->av.timing.fps > 0 ? e->av.timing.fps : 60.0;
    return (retro_time_t)((double)e->frame * 1e6 / fps);
}
static retro_time_t perf_get_time_usec(void) {
    return pr_perf_current ? perf_time_usec_for(pr_perf_current) : 0;
}
static uint64_t perf_get_cpu_features(void) { return 0; }
static retro_perf_tick_t perf_get_counter(void) {
    return pr_perf_current ? (retro_perf_tick_t)pr_perf_current->frame : 0;
}
static void perf_noop_counter(struct retro_perf_counter *c) { (void)c; }
static void perf_log(void) {}
static bool rumble_noop(unsigned port, int effect, uint16_t strength) {
    (void)port;
    (void)effect;
    (void)strength;
    return false;
}

bool pr_environment(pr_emu *e, unsigned cmd, void *data) {
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
        struct pr_option *o = pr_option_find(e, v->key);
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
        struct pr_option *o = pr_option_find(e, v->key);
        return o && pr_option_assign(o, v->value);
    }
    case RETRO_ENVIRONMENT_GET_VARIABLE_UPDATE:
        if (!data) return true; /* a probe must not swallow a pending change */
        *(bool *)data = e->opts_dirty != 0;
        e->opts_dirty = 0;
        return true;
    case RETRO_ENVIRONMENT_SET_VARIABLES:
        return data ? pr_options_v0(e, data) : false;
    case RETRO_ENVIRONMENT_GET_CORE_OPTIONS_VERSION:
        if (data) *(unsigned *)data = 2;
        return true;
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS:
        return data ? pr_options_v1(e, data) : false;
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_INTL: {
        const struct retro_core_options_intl *intl = data;
        return (intl && intl->us) ? pr_options_v1(e, intl->us) : false;
    }
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_V2:
        return data ? pr_options_v2(e, data) : false;
    case RETRO_ENVIRONMENT_SET_CORE_OPTIONS_V2_INTL: {
        const struct retro_core_options_v2_intl *intl = data;
        return (intl && intl->us) ? pr_options_v2(e, intl->us) : false;
    }
    case RETRO_ENVIRONMENT_GET_LOG_INTERFACE:
        if (!data) return false;
        ((struct retro_log_callback *)data)->log = pr_log_trampoline(e);
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
        if (data) pr_memory_maps_store(e, data);
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
        /* bit0 video, bit1 audio (when a buffer takes it). bit3 (hard-disable audio) is never
         * set because every frame's emulated state is kept. */
        if (data) *(int *)data = (e->want_video ? 1 : 0) | (e->audio_buf ? 2 : 0);
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
