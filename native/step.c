/* pettingretro's libretro host, stepping: input, running frames, host-owned paddles.
 *
 * A step is one call that runs N frames with the held buttons. Only the last frame's picture is
 * kept (cores that ask GET_AUDIO_VIDEO_ENABLE skip drawing the others); a long step can be cut
 * into calls of bounded wall time (pr_run_for) that together give the same result.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int16_t pr_input(pr_emu *e, unsigned port, unsigned device, unsigned index, unsigned id) {
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

int pr_set_buttons(pr_emu *e, unsigned port, uint16_t mask) {
    if (port >= e->num_ports)
        return pr_fail(e, PR_EINVAL, "port %u does not exist: this emulator has ports 0..%u", port,
                    e->num_ports - 1);
    e->buttons[port] = mask;
    return PR_OK;
}

int pr_set_analog(pr_emu *e, unsigned port, unsigned index, unsigned axis, int16_t value) {
    if (port >= e->num_ports)
        return pr_fail(e, PR_EINVAL, "port %u does not exist: this emulator has ports 0..%u", port,
                    e->num_ports - 1);
    if (index > 1 || axis > 1)
        return pr_fail(e, PR_EINVAL, "analog index and axis must be 0 or 1 (got %u, %u)", index, axis);
    e->analog[port][index][axis] = value;
    return PR_OK;
}

/* ---------------------------------------------------------------- host-owned paddles */

int pr_paddles_config(pr_emu *e, unsigned n, const int32_t *offsets_from_end, int32_t lo, int32_t hi) {
    if (n > PR_MAX_PORTS) return pr_fail(e, PR_EINVAL, "at most %d paddles (got %u)", PR_MAX_PORTS, n);
    if (lo > hi) return pr_fail(e, PR_EINVAL, "paddle range is empty (%d > %d)", lo, hi);
    size_t size = e->loaded ? e->c.serialize_size() : 0;
    for (unsigned i = 0; i < n; i++) {
        if (offsets_from_end[i] >= 0 || (size_t)(-(int64_t)offsets_from_end[i]) > size ||
            offsets_from_end[i] > -4)
            return pr_fail(e, PR_EINVAL,
                        "paddle %u's state offset %d must lie inside the %zu-byte state, counted "
                        "back from its end (e.g. -22)",
                        i, offsets_from_end[i], size);
        e->pad_offset[i] = offsets_from_end[i];
        e->pad_delta[i] = 0;
        e->pad_value[i] = (int32_t)(((int64_t)lo + hi) / 2);
    }
    /* the state buffer paddles_apply patches is made here, not on the step path */
    if (n && size > e->pad_buf_size) {
        uint8_t *nb = realloc(e->pad_buf, size);
        if (!nb) return pr_fail(e, PR_ENOMEM, "out of memory for a %zu-byte state", size);
        e->pad_buf = nb;
        e->pad_buf_size = size;
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

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Runs up to `frames` frames and returns how many ran: fewer after a shutdown request, or once
 * `deadline` (CLOCK_MONOTONIC ns; 0 = none) passed. */
static unsigned run_frames(pr_emu *e, unsigned frames, int flags, uint64_t deadline) {
    int video = flags & PR_RUN_VIDEO;
    if (!(flags & PR_RUN_CONTINUE)) {
        e->audio_len = 0;
        e->audio_lost = 0;
    }
    pr_perf_current = e;
    unsigned i = 0;
    while (i < frames) {
        if (e->npaddles) paddles_apply(e);
        e->want_video = video && (i + 1 == frames);
        if (e->frame_time_cb) e->frame_time_cb(e->frame_time_ref);
        e->c.run();
        e->frame++;
        i++;
        /* Stella writes its own value to every paddle on the first frame after a load */
        if (e->frame == 1 && e->npaddles) e->pad_dirty = 1;
        if (e->shutdown) break;
        if (deadline && now_ns() >= deadline) break;
    }
    e->want_video = 0;
    pr_perf_current = NULL;
    return i;
}

static int run(pr_emu *e, unsigned frames, int flags, unsigned budget_ms, unsigned *ran) {
    int rc = pr_need_loaded(e);
    if (rc) return rc;
    if (frames > PR_MAX_FRAMES)
        return pr_fail(e, PR_EINVAL, "one step runs at most %d frames (got %u); step several times",
                       PR_MAX_FRAMES, frames);
    if (e->shutdown)
        return pr_fail(e, PR_ESHUTDOWN,
                       "the core asked to shut down (RETRO_ENVIRONMENT_SHUTDOWN); reset() or reload");
    if ((rc = pr_enter(e))) return rc;
    uint64_t deadline = budget_ms ? now_ns() + (uint64_t)budget_ms * 1000000u : 0;
    unsigned n = run_frames(e, frames, flags, deadline);
    if (ran) *ran = n;
    pr_leave(e);
    if (e->shutdown)
        return pr_fail(e, PR_ESHUTDOWN,
                       "the core asked to shut down (RETRO_ENVIRONMENT_SHUTDOWN) at frame %llu; "
                       "reset() or reload",
                       (unsigned long long)e->frame);
    return pr_log_pending(e);
}

int pr_run(pr_emu *e, unsigned frames, int flags) { return run(e, frames, flags, 0, NULL); }

int pr_run_for(pr_emu *e, unsigned frames, int flags, unsigned budget_ms, unsigned *ran) {
    *ran = 0;
    return run(e, frames, flags, budget_ms ? budget_ms : 1, ran);
}

int pr_step(pr_emu *e, const uint16_t *buttons, unsigned nports, unsigned frames, int flags,
            uint8_t *dst, size_t dst_size, int mode) {
    if (nports > e->num_ports) nports = e->num_ports;
    if (buttons) memcpy(e->buttons, buttons, nports * sizeof *buttons);
    int rc = run(e, frames, flags | (dst ? PR_RUN_VIDEO : 0), 0, NULL);
    if (rc < 0) return rc;
    if (dst) {
        int src = pr_screen(e, dst, dst_size, mode);
        if (src) return src;
    }
    return rc;
}
