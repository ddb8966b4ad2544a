/* pettingretro's libretro host, tiles: tile grids decoded from a core's save state.
 *
 * gambatte (Game Boy, Game Boy Color) and fceumm (NES) expose neither the registers nor all of
 * the video memory a grid needs, but their states carry both. Python finds the fields in one
 * state (pettingretro/tiles/gameboy.py, nes.py, whose numpy decoders are the reference these
 * match cell for cell) and passes their offsets; here the emulator serializes into a buffer the
 * host owns and the grid is written straight into the caller's array, with nothing allocated.
 *
 * Hardware facts: Pan Docs (Game Boy), NESdev wiki (NES). The rules for what a cell shows are
 * the reference decoders' (documented there): the background or window tile under the cell's
 * top-left pixel, unless a sprite's top-left corner lies in the cell (the lowest OAM index wins).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum { GB_ROWS = 18, GB_COLS = 20, GB_BANK = 384 };
/* offsets into gambatte's $FE00-$FFFF block */
enum { GB_LCDC = 0x140, GB_SCY = 0x142, GB_SCX = 0x143, GB_WY = 0x14A, GB_WX = 0x14B };

static const size_t gb_sizes[] = {0x4000, 0x200};              /* VRAM, $FE00-$FFFF */
static const size_t nes_sizes[] = {0x800, 0x100, 4, 2, 1};     /* NTAR SPRA PPUR TADD XOFF */
static const char *const gb_names[] = {"VRAM", "$FE00-$FFFF"};
static const char *const nes_names[] = {"NTAR", "SPRA", "PPUR", "TADD", "XOFF"};

static int why_fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_fail(char *why, size_t cap, const char *fmt, ...) {
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return PR_EINVAL;
}

int pr_tiles_check(const struct pr_tiles_spec *s, size_t size, size_t out_len, char *why,
                   size_t cap) {
    if (!s) return why_fail(why, cap, "no tiles layout given");
    const size_t *sizes;
    const char *const *names;
    unsigned nfields;
    if (s->kind == PR_TILES_GAMEBOY) {
        if (s->rows != GB_ROWS || s->cols != GB_COLS)
            return why_fail(why, cap, "a Game Boy grid is %u x %u cells, the layout says %u x %u",
                            GB_ROWS, GB_COLS, s->rows, s->cols);
        sizes = gb_sizes, names = gb_names, nfields = 2;
    } else if (s->kind == PR_TILES_NES) {
        if (!s->rows || !s->cols || s->crop_y + 8 * (size_t)s->rows > 240 ||
            s->crop_x + 8 * (size_t)s->cols > 256)
            return why_fail(why, cap,
                            "%u x %u cells cropped by (%u, %u) pixels do not fit the NES's 240 x 256 "
                            "picture",
                            s->rows, s->cols, s->crop_y, s->crop_x);
        sizes = nes_sizes, names = nes_names, nfields = 5;
    } else {
        return why_fail(why, cap, "unknown tiles decoder %d (PR_TILES_GAMEBOY or PR_TILES_NES)",
                        s->kind);
    }
    if (out_len != (size_t)s->rows * s->cols)
        return why_fail(why, cap, "the grid holds %zu cells, the layout needs %u x %u", out_len,
                        s->rows, s->cols);
    for (unsigned i = 0; i < nfields; i++)
        if (s->at[i] > size || size - s->at[i] < sizes[i])
            return why_fail(why, cap,
                            "field %s (%zu bytes at offset %zu) does not fit a %zu-byte state",
                            names[i], sizes[i], s->at[i], size);
    return PR_OK;
}

/* ---------------------------------------------------------------- Game Boy */

/* A map cell's tile id: $8000 order (the $8800 addressing's 0-127 are tiles 256-383), plus 384
 * for VRAM bank 1 (attribute bit 3, Game Boy Color only). */
static inline uint16_t gb_cell(const uint8_t *map, unsigned cell, int unsigned_ids, int color) {
    unsigned v = map[cell];
    if (!unsigned_ids && v < 128) v += 256;
    if (color && (map[cell + 0x2000] & 0x08)) v += GB_BANK;
    return (uint16_t)v;
}

static void gameboy(const uint8_t *st, const struct pr_tiles_spec *s, uint16_t *out) {
    const uint8_t *vram = st + s->at[0], *high = st + s->at[1];
    int color = s->flags & PR_TILES_COLOR;
    unsigned lcdc = high[GB_LCDC], scy = high[GB_SCY], scx = high[GB_SCX];
    int unsigned_ids = lcdc & 0x10;

    const uint8_t *map = vram + ((lcdc & 0x08) ? 0x1C00 : 0x1800);
    for (unsigned r = 0; r < GB_ROWS; r++) {
        unsigned row = ((scy >> 3) + r) & 31;
        uint16_t *line = out + r * GB_COLS;
        for (unsigned c = 0; c < GB_COLS; c++)
            line[c] = gb_cell(map, row * 32 + (((scx >> 3) + c) & 31), unsigned_ids, color);
    }

    /* the window covers the cells whose top-left pixel lies at or right of / below (WY, WX - 7) */
    int wy = high[GB_WY], wx = (int)high[GB_WX] - 7;
    if ((lcdc & 0x20) && wy < 144 && wx < 160) {
        unsigned first_row = (unsigned)(wy + 7) / 8;
        unsigned first_col = wx <= 0 ? 0 : (unsigned)(wx + 7) / 8;
        const uint8_t *wmap = vram + ((lcdc & 0x40) ? 0x1C00 : 0x1800);
        for (unsigned r = first_row; r < GB_ROWS; r++) {
            unsigned row = (unsigned)((int)r * 8 - wy) / 8;
            for (unsigned c = first_col; c < GB_COLS; c++)
                out[r * GB_COLS + c] =
                    gb_cell(wmap, row * 32 + (unsigned)((int)c * 8 - wx) / 8, unsigned_ids, color);
        }
    }

    if (!(lcdc & 0x02)) return;
    int tall = lcdc & 0x04;
    const uint8_t *oam = high;
    for (int n = 39; n >= 0; n--) { /* the lowest OAM index wins a cell: draw it last */
        unsigned sy = oam[4 * n], sx = oam[4 * n + 1], tile = oam[4 * n + 2], attr = oam[4 * n + 3];
        /* OAM Y is screen y + 16, X is x + 8; a cell per 8x8 half whose corner is on screen */
        if (sy < (tall ? 8u : 16u) || sy >= 160 || sx < 8 || sx >= 168) continue;
        unsigned bank = color && (attr & 0x08) ? GB_BANK : 0;
        int row = (int)(sy - 8) / 8 - 1; /* floor((sy - 16) / 8): -1 for a tall sprite's top off screen */
        unsigned col = (sx - 8) / 8;
        if (tall) {
            unsigned top = (tile & 0xFE) | ((attr >> 6) & 1); /* y flip swaps the halves */
            if (row + 1 < GB_ROWS) out[(row + 1) * GB_COLS + col] = (uint16_t)((top ^ 1) + bank);
            if (row >= 0) out[row * GB_COLS + col] = (uint16_t)(top + bank);
        } else {
            out[row * GB_COLS + col] = (uint16_t)(tile + bank);
        }
    }
}

/* ---------------------------------------------------------------- NES */

static inline int floor8(int v) { return v >= 0 ? v / 8 : -((7 - v) / 8); }

static void nes(const uint8_t *st, const struct pr_tiles_spec *s, uint16_t *out) {
    const uint8_t *nt = st + s->at[0], *oam = st + s->at[1], *ppur = st + s->at[2];
    unsigned ctrl = ppur[0], mask = ppur[1];
    unsigned t = st[s->at[3]] | (unsigned)st[s->at[3] + 1] << 8;
    unsigned rows = s->rows, cols = s->cols;
    int vertical = s->flags & PR_TILES_VERTICAL;
    /* the scroll the game set for this frame ("t" and fine X), in the 480 x 512 plane */
    unsigned x = ((t >> 10) & 1) * 256 + (t & 31) * 8 + (st[s->at[4]] & 7) + s->crop_x;
    unsigned y = ((t >> 11) & 1) * 240 + ((t >> 5) & 31) * 8 + ((t >> 12) & 7) + s->crop_y;
    unsigned top_row = (y >> 3) % 60, left_col = (x >> 3) % 64;
    uint16_t add = ctrl & 0x10 ? 256 : 0;
    /* the mirroring folds the four logical nametables onto the 2 KiB: a cell's offset there is
     * a part from its row and one from its column (cols <= 32, checked) */
    unsigned col_part[32];
    for (unsigned c = 0; c < cols; c++) {
        unsigned col = (left_col + c) % 64;
        col_part[c] = col % 32 + (vertical ? (col / 32) * 0x400 : 0);
    }
    for (unsigned r = 0; r < rows; r++) {
        unsigned row = (top_row + r) % 60;
        const uint8_t *cells = nt + (row % 30) * 32 + (vertical ? 0 : (row / 30) * 0x400);
        uint16_t *line = out + r * cols;
        for (unsigned c = 0; c < cols; c++) line[c] = (uint16_t)(cells[col_part[c]] + add);
    }

    if (!(mask & 0x10)) return;
    int tall = ctrl & 0x20;
    unsigned table = ctrl & 0x08 ? 256 : 0;
    int top = (int)s->crop_y, left = (int)s->crop_x, nrows = (int)rows;
    for (int i = 252; i >= 0; i -= 4) { /* the lowest OAM index wins a cell: draw it last */
        unsigned sy = oam[i];
        if (sy >= 0xEF) continue; /* Y >= $EF hides a sprite */
        int sprite_y = (int)sy + 1 - top, sprite_x = (int)oam[i + 3] - left;
        if (sprite_x < 0 || sprite_x >= (int)cols * 8) continue;
        unsigned tile = oam[i + 1], col = (unsigned)sprite_x / 8;
        int row = floor8(sprite_y);
        if (tall) { /* 8x16: the tile's bit 0 picks the table; y flip swaps the halves */
            unsigned first = (tile & 0xFE) + (tile & 1) * 256 + (oam[i + 2] >> 7);
            if (row + 1 >= 0 && row + 1 < nrows && sprite_y + 8 >= 0)
                out[(row + 1) * (int)cols + (int)col] = (uint16_t)(first ^ 1);
            if (row >= 0 && row < nrows && sprite_y >= 0)
                out[row * (int)cols + (int)col] = (uint16_t)first;
        } else if (row >= 0 && row < nrows && sprite_y >= 0) {
            out[row * (int)cols + (int)col] = (uint16_t)(tile + table);
        }
    }
}

/* ---------------------------------------------------------------- entry points */

int pr_tiles_decode(const uint8_t *state, size_t size, const struct pr_tiles_spec *s, uint16_t *out,
                    size_t out_len) {
    if (!s || size != s->state_size) return s ? PR_TILES_RELAYOUT : PR_EINVAL;
    if (!state || !out || pr_tiles_check(s, size, out_len, NULL, 0)) return PR_EINVAL;
    if (s->kind == PR_TILES_GAMEBOY)
        gameboy(state, s, out);
    else
        nes(state, s, out);
    return PR_OK;
}

int pr_tiles(pr_emu *e, const struct pr_tiles_spec *s, uint16_t *out, size_t out_len) {
    int rc = pr_need_loaded(e);
    if (rc) return rc;
    char why[256];
    if (!s || !out || pr_tiles_check(s, s->state_size, out_len, why, sizeof why))
        return pr_fail(e, PR_EINVAL, "%s", s && out ? why : "no tiles layout or grid given");
    size_t n = e->c.serialize_size();
    if (n != s->state_size) return PR_TILES_RELAYOUT;
    if ((rc = pr_state_reserve(e, n))) return rc;
    if ((rc = pr_enter(e))) return rc;
    bool ok = e->c.serialize(e->state_buf, n);
    pr_leave(e);
    if (!ok)
        return pr_fail(e, PR_ESTATE, "core '%s' failed to save its state", e->sysinfo.library_name);
    return pr_tiles_decode(e->state_buf, n, s, out, out_len);
}
