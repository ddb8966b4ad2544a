/* pettingretro's libretro host, audio: the core's samples of one step, in the caller's buffer.
 *
 * Off by default: both callbacks then return at once, so a host that wants no sound pays a
 * pointer test per call. On, a step's int16 stereo frames are appended to the buffer the caller
 * gave (Python's numpy array); what does not fit is counted, never reallocated on the step path.
 */
#include "internal.h"

#include <string.h>

int pr_audio_set(pr_emu *e, int16_t *buf, size_t capacity) {
    if (buf && !capacity)
        return pr_fail(e, PR_EINVAL, "the audio buffer must hold at least one sample frame");
    int rc = pr_enter(e); /* never swap the buffer under a running step */
    if (rc) return rc;
    e->audio_buf = buf;
    e->audio_cap = buf ? capacity : 0;
    e->audio_len = 0;
    e->audio_lost = 0;
    pr_leave(e);
    return PR_OK;
}

void pr_audio_count(const pr_emu *e, size_t *kept, size_t *lost) {
    *kept = e->audio_len;
    *lost = e->audio_lost;
}

size_t pr_audio_batch(pr_emu *e, const int16_t *data, size_t frames) {
    if (!e || !e->audio_buf || !data) return frames;
    size_t room = e->audio_cap - e->audio_len;
    size_t n = frames < room ? frames : room;
    memcpy(e->audio_buf + 2 * e->audio_len, data, n * 2 * sizeof *data);
    e->audio_len += n;
    e->audio_lost += frames - n;
    return frames; /* all consumed: a core must never wait for the host */
}

void pr_audio_sample(pr_emu *e, int16_t left, int16_t right) {
    if (!e || !e->audio_buf) return;
    if (e->audio_len == e->audio_cap) {
        e->audio_lost++;
        return;
    }
    e->audio_buf[2 * e->audio_len] = left;
    e->audio_buf[2 * e->audio_len + 1] = right;
    e->audio_len++;
}
