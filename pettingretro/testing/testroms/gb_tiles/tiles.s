; pettingretro Game Boy tiles test ROM (32 KiB, no mapper), assembled with sdasgb.
;
; Draws a known background map, scrolls it and moves one sprite by input, so a test can
; check a tiles observation against what the ROM drew:
;   tile data  $8000-$97FF: pseudo-random bytes (a Galois LFSR), so tiles differ
;   BG map     $9800: the tile at (row, col) is (row * 9 + col) & $FF; LCDC = $93
;              (BG and sprites on, 8x8 sprites, unsigned tile data at $8000, window off)
;   sprite 0   tile $42, moved one pixel per frame by the d-pad
;   SCX        +1 every frame; SCY +1 every frame while A is held
; In Game Boy Color mode (A = $11 at entry) the ROM also fills VRAM bank 1's tile data
; and sets attribute bit 3 (tile from bank 1) on every cell where row + col is odd, and
; loads BG and OBJ palette 0. Shadows in work RAM ($C000 = RAM offset 0):
;   $C000 keys (as input.s)  $C001 frame (16 bit)  $C003 SCX  $C004 SCY
;   $C005 sprite OAM X (screen x + 8)  $C006 sprite OAM Y (screen y + 16)  $C007 1 if CGB
; Each vblank the ROM reads the pad, updates the shadows and writes them to the registers
; and OAM, so at the end of a frame the shadows are what the next frame will show.

rP1   = 0xFF00
rIF   = 0xFF0F
rLCDC = 0xFF40
rSCY  = 0xFF42
rSCX  = 0xFF43
rLY   = 0xFF44
rBGP  = 0xFF47
rOBP0 = 0xFF48
rVBK  = 0xFF4F
rBCPS = 0xFF68
rBCPD = 0xFF69
rOCPS = 0xFF6A
rOCPD = 0xFF6B
rIE   = 0xFFFF

KEYS  = 0xC000
FRAME = 0xC001
SCX   = 0xC003
SCY   = 0xC004
SPX   = 0xC005
SPY   = 0xC006
CGB   = 0xC007

SPRITE_TILE = 0x42

        .area ROM (ABS)

        .org 0x0040             ; vblank interrupt: only wakes the HALT below
        reti

        .org 0x0100             ; entry point
        nop
        jp start

        .org 0x0104             ; logo area: left blank (no boot ROM checks it)
        .db 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
        .db 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
        .db 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
        .ascii "PRTILES"        ; $0134: title, zero padded up to the CGB flag
        .db 0,0,0,0,0,0,0,0
        .db 0                   ; $0143: CGB flag; the builder writes $80 for the colour build
        .db 0,0                 ; $0144: new licensee code
        .db 0                   ; $0146: no SGB functions
        .db 0                   ; $0147: ROM only, no mapper
        .db 0                   ; $0148: 32 KiB ROM
        .db 0                   ; $0149: no cartridge RAM
        .db 1                   ; $014A: destination: not Japan
        .db 0                   ; $014B: old licensee code
        .db 0                   ; $014C: version
        .db 0                   ; $014D: header checksum, written by the builder
        .db 0,0                 ; $014E: global checksum (big endian), written by the builder

        .org 0x0150
start:
        di
        ld sp, #0xE000          ; stack at the top of work RAM
        cp #0x11                ; A = $11 at entry on a Game Boy Color
        ld a, #0
        jr nz, 1$
        inc a
1$:     ld (CGB), a
        xor a
        ld (KEYS), a
        ld (FRAME), a
        ld (FRAME+1), a
        ld (SCX), a
        ld (SCY), a
        ld a, #(8 + 40)         ; sprite at screen (40, 32)
        ld (SPX), a
        ld a, #(16 + 32)
        ld (SPY), a

2$:     ld a, (rLY)             ; the LCD may only be turned off in vblank
        cp #144
        jr c, 2$
        xor a
        ld (rLCDC), a

        ld d, #0x01             ; LFSR state
        call filltiles

        ld hl, #0x9800          ; BG map: (row * 9 + col) & $FF
        ld e, #0
        ld c, #32
3$:     ld a, e
        ld b, #32
4$:     ld (hl+), a
        inc a
        dec b
        jr nz, 4$
        ld a, e
        add a, #9
        ld e, a
        dec c
        jr nz, 3$

        ld hl, #0xFE00          ; OAM: every sprite off screen (Y = 0)
        ld b, #160
        xor a
5$:     ld (hl+), a
        dec b
        jr nz, 5$

        ld a, #0xE4             ; shades 0-3 in order
        ld (rBGP), a
        ld (rOBP0), a

        ld a, (CGB)
        or a
        jr z, 9$
        ld a, #1
        ld (rVBK), a
        call filltiles          ; bank 1 tile data, LFSR continuing
        ld hl, #0x9800          ; attributes: bank 1 where row + col is odd
        ld c, #32
6$:     ld b, #32
7$:     ld a, b
        xor c
        and #1                  ; (32 - col) ^ (32 - row): odd when row + col is odd
        rlca
        rlca
        rlca
        ld (hl+), a
        dec b
        jr nz, 7$
        dec c
        jr nz, 6$
        xor a
        ld (rVBK), a
        ld a, #0x80             ; palette 0, auto increment
        ld (rBCPS), a
        ld (rOCPS), a
        ld hl, #palette
        ld b, #8
8$:     ld a, (hl+)
        ld (rBCPD), a
        ld (rOCPD), a
        dec b
        jr nz, 8$

9$:     ld a, #0x93             ; LCD, BG and sprites on; tile data $8000; map $9800
        ld (rLCDC), a
        xor a
        ld (rIF), a
        ld a, #0x01             ; vblank interrupt only
        ld (rIE), a
        ei

loop:
        halt
        nop
        ld a, #0x20             ; select the d-pad row (P14 low)
        ld (rP1), a
        ld a, (rP1)
        ld a, (rP1)             ; re-read: the lines need a moment to settle
        cpl
        and #0x0F
        ld b, a
        ld a, #0x10             ; select the button row (P15 low)
        ld (rP1), a
        ld a, (rP1)
        ld a, (rP1)
        cpl
        and #0x0F
        swap a
        or b
        ld (KEYS), a
        ld a, #0x30             ; deselect both rows
        ld (rP1), a

        ld a, (SCX)             ; the background scrolls one pixel right every frame
        inc a
        ld (SCX), a
        ld a, (KEYS)
        ld b, a
        bit 4, b                ; A: scroll down
        jr z, 10$
        ld a, (SCY)
        inc a
        ld (SCY), a
10$:    ld hl, #SPX
        bit 0, b                ; Right
        jr z, 11$
        inc (hl)
11$:    bit 1, b                ; Left
        jr z, 12$
        dec (hl)
12$:    ld hl, #SPY
        bit 3, b                ; Down
        jr z, 13$
        inc (hl)
13$:    bit 2, b                ; Up
        jr z, 14$
        dec (hl)
14$:
        ld a, (SCX)             ; still in vblank: the next frame shows these
        ld (rSCX), a
        ld a, (SCY)
        ld (rSCY), a
        ld hl, #0xFE00
        ld a, (SPY)
        ld (hl+), a
        ld a, (SPX)
        ld (hl+), a
        ld a, #SPRITE_TILE
        ld (hl+), a
        xor a
        ld (hl), a

        ld hl, #FRAME
        inc (hl)
        jr nz, loop
        inc hl
        inc (hl)
        jr loop

; Fill $8000-$97FF of the selected VRAM bank with the LFSR in D (taps $1D).
filltiles:
        ld hl, #0x8000
        ld bc, #0x1800
1$:     ld a, d
        ld (hl+), a
        sla d
        jr nc, 2$
        ld a, d
        xor #0x1D
        ld d, a
2$:     dec bc
        ld a, b
        or c
        jr nz, 1$
        ret

palette:                        ; RGB555 little endian: white, light, dark, black
        .db 0xFF, 0x7F, 0x94, 0x52, 0x4A, 0x29, 0x00, 0x00
