/* pettingretro's libretro host, pixels: keeping the core's frames, converting them, resizing.
 *
 * The core draws in 0RGB1555, XRGB8888 or RGB565; Python gets uint8 RGB or luma. SSSE3 paths
 * (checked at run time) and scalar fallbacks give the same bytes.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

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
void pr_video(pr_emu *e, const void *data, unsigned w, unsigned h, size_t pitch) {
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

/* Conversion. Every 16-bit pixel value and every XRGB8888 colour were compared between the SSSE3
 * and scalar code. */
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

/* 16 16-bit pixels -> 48 RGB bytes: the SSSE3 steps on two 8-pixel halves at once, one per
 * 128-bit lane (AVX2 shuffles stay within a lane), then four 12-byte stores */
__attribute__((target("avx2"))) static void rgb_from_16_avx2(const uint16_t *s, uint8_t *d, size_t n, int is565) {
    const __m256i m5 = _mm256_set1_epi16(31), m6 = _mm256_set1_epi16(63);
    const __m256i sh = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    size_t i = 0;
    /* the last 16-byte store writes 4 bytes past pixel i + 15: stop while 2 pixels are left */
    for (; i + 18 <= n; i += 16) {
        __m256i p = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i r, g, b = _mm256_and_si256(p, m5);
        if (is565) {
            r = _mm256_srli_epi16(p, 11);
            g = _mm256_and_si256(_mm256_srli_epi16(p, 5), m6);
            g = _mm256_or_si256(_mm256_slli_epi16(g, 2), _mm256_srli_epi16(g, 4));
        } else {
            r = _mm256_and_si256(_mm256_srli_epi16(p, 10), m5);
            g = _mm256_and_si256(_mm256_srli_epi16(p, 5), m5);
            g = _mm256_or_si256(_mm256_slli_epi16(g, 3), _mm256_srli_epi16(g, 2));
        }
        r = _mm256_or_si256(_mm256_slli_epi16(r, 3), _mm256_srli_epi16(r, 2));
        b = _mm256_or_si256(_mm256_slli_epi16(b, 3), _mm256_srli_epi16(b, 2));
        __m256i rg = _mm256_or_si256(r, _mm256_slli_epi16(g, 8));
        __m256i lo = _mm256_shuffle_epi8(_mm256_unpacklo_epi16(rg, b), sh); /* pixels 0-3, 8-11 */
        __m256i hi = _mm256_shuffle_epi8(_mm256_unpackhi_epi16(rg, b), sh); /* pixels 4-7, 12-15 */
        uint8_t *o = d + 3 * i;
        _mm_storeu_si128((__m128i *)o, _mm256_castsi256_si128(lo));
        _mm_storeu_si128((__m128i *)(o + 12), _mm256_castsi256_si128(hi));
        _mm_storeu_si128((__m128i *)(o + 24), _mm256_extracti128_si256(lo, 1));
        _mm_storeu_si128((__m128i *)(o + 36), _mm256_extracti128_si256(hi, 1));
    }
    rgb_from_16_ssse3(s + i, d + 3 * i, n - i, is565);
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

/* 0: scalar, 1: SSSE3, 2: AVX2 too: what the CPU has, capped by pr_simd_level (tests compare
 * the paths). */
static int simd_cap = 2;
static int cpu_level(void) {
#ifdef PR_X86
    /* these read flags libgcc set at load time */
    return __builtin_cpu_supports("avx2") ? 2 : __builtin_cpu_supports("ssse3") ? 1 : 0;
#else
    return 0;
#endif
}
static int have_simd(void) {
    int cpu = cpu_level(), cap = __atomic_load_n(&simd_cap, __ATOMIC_RELAXED);
    return cpu < cap ? cpu : cap;
}
int pr_simd_level(int cap) {
    if (cap >= 0) __atomic_store_n(&simd_cap, cap > 2 ? 2 : cap, __ATOMIC_RELAXED);
    return have_simd();
}

static void convert(const pr_emu *e, uint8_t *dst, int mode) {
    size_t n = (size_t)e->fw * e->fh;
    const uint8_t *fb = e->fb;
    int ffmt = e->ffmt;
    int simd = have_simd();
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
        if (simd == 2) {
            rgb_from_16_avx2(s, dst, n, is565);
            return;
        }
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
        return pr_fail(e, PR_EINVAL, "no frame has been kept yet: step with video=True first");
    size_t need = (size_t)e->fw * e->fh * (mode == PR_SCREEN_RGB ? 3u : 1u);
    if (mode != PR_SCREEN_RGB && mode != PR_SCREEN_GRAY)
        return pr_fail(e, PR_EINVAL, "unknown screen mode %d", mode);
    if (dst_size != need) /* exact: a bigger buffer would get rows of the wrong width */
        return pr_fail(e, PR_EINVAL, "screen buffer holds %zu bytes, the frame needs %zu (%ux%u)",
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

size_t pr_frame_bytes(const pr_emu *e, int mode) {
    return (size_t)e->fw * e->fh * (mode == PR_SCREEN_RGB ? 3u : 1u);
}

void pr_max_into(uint8_t *pooled, const uint8_t *last, size_t n) {
    size_t k = 0;
#ifdef PR_X86
    for (; k + 16 <= n; k += 16) { /* SSE2: every x86-64 has it */
        __m128i a = _mm_loadu_si128((const __m128i *)(pooled + k));
        __m128i b = _mm_loadu_si128((const __m128i *)(last + k));
        _mm_storeu_si128((__m128i *)(pooled + k), _mm_max_epu8(a, b));
    }
#endif
    for (; k < n; k++)
        if (last[k] > pooled[k]) pooled[k] = last[k];
}

/* Area resampling with precomputed integer taps; exact, so it equals AreaResize in numpy. `acc`
 * is the caller's scratch row of src_w x channels values (a pool thread's, preallocated). */
/* acc[x] += w * r[x] over a row: a loop the compiler widens to SIMD (it is the resize's hot one) */
__attribute__((optimize("tree-vectorize"))) static void accumulate(uint32_t *restrict acc,
                                                                   const uint8_t *restrict r,
                                                                   uint32_t w, size_t n) {
    for (size_t x = 0; x < n; x++) acc[x] += w * r[x];
}

void pr_area_resize(const uint8_t *src, const struct pr_obs_spec *s, uint32_t *acc, uint8_t *dst) {
    unsigned c = s->mode == PR_SCREEN_RGB ? 3u : 1u;
    size_t row = (size_t)s->src_w * c;
    uint32_t d = s->divisor, half = d / 2;
    /* (v + half) / d as a multiply: with m = ceil(2^40 / d), floor(n * m / 2^40) = floor(n / d)
     * for every n < 2^40 / d, and n <= 255 d + d / 2 < 2^40 / d while d < 2^16 */
    uint64_t m = d < 65536 ? ((UINT64_C(1) << 40) + d - 1) / d : 0;
    /* locals: the stores through dst (uint8_t) could otherwise alias every field of s */
    const int32_t *restrict wi = s->w_index;
    const uint32_t *restrict ww = s->w_weight;
    const unsigned out_w = s->out_w, taps = s->w_taps;
    for (unsigned j = 0; j < s->out_h; j++) {
        memset(acc, 0, row * sizeof *acc);
        for (unsigned t = 0; t < s->h_taps; t++) {
            uint32_t w = s->h_weight[j * s->h_taps + t];
            if (!w) continue;
            accumulate(acc, src + (size_t)s->h_index[j * s->h_taps + t] * row, w, row);
        }
        uint8_t *restrict out = dst + (size_t)j * out_w * c;
        if (c == 1 && taps <= 4) { /* luma with few taps (any downscale by < 4): unrolled */
            for (unsigned i = 0; i < out_w; i++) {
                const int32_t *at = wi + (size_t)i * taps;
                const uint32_t *wt = ww + (size_t)i * taps;
                uint32_t v = half + wt[0] * acc[at[0]];
                if (taps > 1) v += wt[1] * acc[at[1]];
                if (taps > 2) v += wt[2] * acc[at[2]];
                if (taps > 3) v += wt[3] * acc[at[3]];
                out[i] = (uint8_t)(m ? (uint32_t)((v * m) >> 40) : v / d);
            }
            continue;
        }
        for (unsigned i = 0; i < out_w; i++) {
            const int32_t *at = wi + (size_t)i * taps;
            const uint32_t *wt = ww + (size_t)i * taps;
            for (unsigned k = 0; k < c; k++) {
                const uint32_t *a = acc + k;
                uint32_t v = half;
                for (unsigned t = 0; t < taps; t++) v += wt[t] * a[(size_t)at[t] * c];
                out[(size_t)i * c + k] = (uint8_t)(m ? (uint32_t)((v * m) >> 40) : v / d);
            }
        }
    }
}
