| pettingretro Sega Genesis / Mega Drive tiles test ROM, assembled with GNU as for m68k
| (m68k-linux-gnu-as --register-prefix-optional), linked at 0 and copied to a flat binary.
|
| Draws a known plane A map, scrolls it and moves one sprite by input, so a test can check a
| tiles observation against what the ROM drew:
|   tile data  $0000-$3FFF: tile 0 blank (transparent), tiles 1-511 pseudo-random 4bpp
|              pixels (xorshift16), so tiles differ and show every colour index
|   CRAM       entry i (palette i / 16, colour i % 16) = 9-bit colour (i * 37 + 5) & $1FF,
|              64 different colours
|   plane A    $C000, 64x32 cells (register 16 = $01): the cell at (row, col) names tile
|              $100 + ((row * 9 + col) & $FF), palette (row + col) & 3, flips (row ^ col) & 3
|              (bit 0 horizontal, bit 1 vertical), priority 0
|   plane B    $E000, every cell tile 0 (transparent): where plane A's pixel is colour 0 the
|              backdrop (CRAM entry 0, register 7 = 0) shows
|   window     $B000, the cell at (row, col) names tile $80 + ((row * 5 + col) & $7F); off
|              (registers 17 and 18 are 0) until a test turns it on in a saved state
|   sprite 0   $D800, 3 cells wide by 2 tall (tiles $42-$47, column-major), palette 1,
|              moved one pixel per frame by the d-pad; the link field ends the list
|   scroll     full-screen H and V scroll (register 11 = 0): SCX +1 every frame (plane A's
|              H scroll word at $FC00 = -SCX), SCY +1 every frame while B is held (VSRAM 0)
|   display    H40 (320x224), register 12 = $81
| Shadows in 68k RAM (words; the core's RAM view holds them as host-order words):
|   $FF0000 keys (bit 0 up, 1 down, 2 left, 3 right, 4 B, 5 C, 6 A, 7 start; 1 = held)
|   $FF0002 frame   $FF0004 SCX   $FF0006 SCY
|   $FF0008 sprite X   $FF000A sprite Y   (sprite table coordinates: screen + 128)
| Each vertical blank the ROM reads pad 1, updates the shadows and writes them to the VDP,
| so at the end of a frame the shadows are what the next frame will show.

        .equ VDP_DATA, 0xC00000
        .equ VDP_CTRL, 0xC00004
        .equ VERSION, 0xA10001
        .equ PAD1_DATA, 0xA10003
        .equ PAD1_CTRL, 0xA10009
        .equ TMSS, 0xA14000

        .equ KEYS, 0xFF0000
        .equ FRAME, 0xFF0002
        .equ SCX, 0xFF0004
        .equ SCY, 0xFF0006
        .equ SPX, 0xFF0008
        .equ SPY, 0xFF000A

        .equ SPRITE_TILE, 0x42

| VDP command longs: CD1-0 in bits 31-30, A13-A0 in bits 29-16, CD5-2 in bits 7-4, A15-A14
| in bits 1-0. ('|' starts a comment in GNU as for m68k, so expressions OR with '+'.)
        .macro vram_write addr
        move.l #(0x40000000 + (((\addr) & 0x3FFF) << 16) + ((\addr) >> 14)), (a1)
        .endm

        .text
        .global start
        .org 0x000
        .long 0x00FFFE00        | initial supervisor stack pointer
        .long start             | initial program counter
        .rept 26
        .long ignore            | $008-$06C: bus error ... level 3 autovector
        .endr
        .long ignore            | $070: level 4 (horizontal blank), disabled
        .long ignore            | $074: level 5
        .long vblank            | $078: level 6 (vertical blank)
        .long ignore            | $07C: level 7
        .rept 32
        .long ignore            | TRAP #0-15 and reserved vectors
        .endr

        .org 0x100
        .ascii "SEGA MEGA DRIVE "                               | $100: system type
        .ascii "(C)PRTR 2026.JAN"                               | $110: copyright
        .ascii "PETTINGRETRO TILES TEST                         " | $120: domestic name
        .ascii "PETTINGRETRO TILES TEST                         " | $150: overseas name
        .ascii "GM 00000000-00"                                 | $180: serial
        .word 0                                                 | $18E: checksum (builder)
        .ascii "J               "                               | $190: I/O support
        .long 0, 0x0000FFFF                                     | $1A0: ROM start, end
        .long 0x00FF0000, 0x00FFFFFF                            | $1A8: RAM start, end
        .ascii "            "                                   | $1B0: no SRAM
        .ascii "            "                                   | $1BC: no modem
        .ascii "                                        "       | $1C8: notes
        .ascii "JUE             "                               | $1F0: regions

        .org 0x200
start:
        move.w #0x2700, sr      | interrupts off while setting up
        move.b VERSION, d0      | TMSS consoles (version > 0) lock the VDP until "SEGA"
        andi.b #0x0F, d0
        beq.s 1f
        move.l #0x53454741, TMSS
1:      lea VDP_DATA, a0
        lea VDP_CTRL, a1
        move.w (a1), d0         | reading the status clears a half-written command

        lea registers, a2       | display off, mode 5, tables, H40, 64x32 planes
        moveq #(registers_end - registers) / 2 - 1, d1
2:      move.w (a2)+, (a1)
        dbra d1, 2b

        lea 0xFF0000, a2        | shadows: zero, sprite at screen (140, 80)
        moveq #15, d1
3:      clr.l (a2)+
        dbra d1, 3b
        move.w #128 + 140, SPX
        move.w #128 + 80, SPY

        vram_write 0x0000       | VRAM: all zero (blank tile 0, plane B, sprite table)
        move.w #0x7FFF, d1
4:      move.w #0, (a0)
        dbra d1, 4b

        vram_write 0x0020       | tiles 1-511: xorshift16 pixels
        move.w #0xACE1, d2
        move.w #511 * 16 - 1, d1
5:      move.w d2, d3           | x ^= x << 7
        lsl.w #7, d3
        eor.w d3, d2
        move.w d2, d3           | x ^= x >> 9
        lsr.w #8, d3
        lsr.w #1, d3
        eor.w d3, d2
        move.w d2, d3           | x ^= x << 8
        lsl.w #8, d3
        eor.w d3, d2
        move.w d2, (a0)
        dbra d1, 5b

        move.l #0xC0000000, (a1) | CRAM from entry 0: the 64 colours
        lea colours, a2
        moveq #63, d1
6:      move.w (a2)+, (a0)
        dbra d1, 6b

        vram_write 0xC000       | plane A: 64 columns x 32 rows
        moveq #0, d3            | row
7:      moveq #0, d4            | col
8:      move.w d3, d5           | tile $100 + ((row * 9 + col) & $FF)
        mulu.w #9, d5
        add.w d4, d5
        andi.w #0xFF, d5
        ori.w #0x100, d5
        move.w d3, d6           | flips (row ^ col) & 3 at bits 11-12
        eor.w d4, d6
        andi.w #3, d6
        lsl.w #8, d6
        lsl.w #3, d6
        or.w d6, d5
        move.w d3, d6           | palette (row + col) & 3 at bits 13-14
        add.w d4, d6
        andi.w #3, d6
        ror.w #3, d6
        or.w d6, d5
        move.w d5, (a0)
        addq.w #1, d4
        cmpi.w #64, d4
        blt.s 8b
        addq.w #1, d3
        cmpi.w #32, d3
        blt.s 7b

        vram_write 0xB000       | window: 64 columns x 32 rows (H40)
        moveq #0, d3
9:      moveq #0, d4
10:     move.w d3, d5           | tile $80 + ((row * 5 + col) & $7F)
        mulu.w #5, d5
        add.w d4, d5
        andi.w #0x7F, d5
        ori.w #0x80, d5
        move.w d5, (a0)
        addq.w #1, d4
        cmpi.w #64, d4
        blt.s 10b
        addq.w #1, d3
        cmpi.w #32, d3
        blt.s 9b

        move.b #0x40, PAD1_CTRL | pad 1: TH is an output
        move.b #0x40, PAD1_DATA
        bsr.w show              | sprite and scroll before the first shown frame
        move.w #0x8164, (a1)    | display on, vertical blank interrupt on, mode 5
        move.w #0x2500, sr      | accept level 6

loop:
        stop #0x2500            | wait for the vertical blank interrupt
        bsr.s pad
        addq.w #1, FRAME
        addq.w #1, SCX          | the map scrolls one pixel left every frame
        move.w KEYS, d0
        btst #4, d0             | B: scroll down
        beq.s 11f
        addq.w #1, SCY
11:     btst #3, d0             | right
        beq.s 12f
        addq.w #1, SPX
12:     btst #2, d0             | left
        beq.s 13f
        subq.w #1, SPX
13:     btst #1, d0             | down
        beq.s 14f
        addq.w #1, SPY
14:     btst #0, d0             | up
        beq.s 15f
        subq.w #1, SPY
15:     andi.w #0x3FF, SCX      | the VDP keeps 10 bits of each scroll, 9 of a position
        andi.w #0x3FF, SCY
        andi.w #0x1FF, SPX
        andi.w #0x1FF, SPY
        bsr.s show
        bra.s loop

| pad 1 by the 3-button protocol: TH high reads xxCBRLDU, TH low reads xxSA00DU (0 = held)
pad:
        lea PAD1_DATA, a2
        move.b #0x40, (a2)
        nop
        nop
        move.b (a2), d0
        move.b #0x00, (a2)
        nop
        nop
        move.b (a2), d1
        move.b #0x40, (a2)
        andi.b #0x3F, d0
        andi.b #0x30, d1
        lsl.b #2, d1
        or.b d1, d0
        not.b d0
        andi.w #0xFF, d0
        move.w d0, KEYS
        rts

| write the shadows to the VDP: H scroll, V scroll, sprite 0
show:
        vram_write 0xFC00       | plane A's full-screen H scroll
        move.w SCX, d0
        neg.w d0
        andi.w #0x3FF, d0
        move.w d0, (a0)
        move.l #0x40000010, (a1) | VSRAM 0: plane A's full-screen V scroll
        move.w SCY, (a0)
        vram_write 0xD800       | sprite 0: Y, size and link, attributes, X
        move.w SPY, (a0)
        move.w #0x0900, (a0)    | 3 cells wide (2 << 2), 2 tall (1); link 0 ends the list
        move.w #0x2000 + SPRITE_TILE, (a0)
        move.w SPX, (a0)
        rts

vblank:
ignore:
        rte

registers:
        .word 0x8004            | 0: no horizontal interrupt
        .word 0x8104            | 1: display off, mode 5
        .word 0x8230            | 2: plane A at $C000
        .word 0x832C            | 3: window at $B000
        .word 0x8407            | 4: plane B at $E000
        .word 0x856C            | 5: sprite table at $D800
        .word 0x8700            | 7: backdrop CRAM entry 0
        .word 0x8AFF            | 10: horizontal interrupt counter
        .word 0x8B00            | 11: full-screen V and H scroll
        .word 0x8C81            | 12: H40, no interlace, no shadow/highlight
        .word 0x8D3F            | 13: H scroll table at $FC00
        .word 0x8F02            | 15: auto-increment 2
        .word 0x9001            | 16: planes 64 cells wide, 32 tall
        .word 0x9100            | 17: window H position 0
        .word 0x9200            | 18: window V position 0 (window off)
registers_end:

colours:                        | entry i: 9-bit colour c = (i * 37 + 5) & $1FF as BBB0GGG0RRR0
        .set i, 0
        .rept 64
        .set c, (i * 37 + 5) & 0x1FF
        .word ((c & 0x1C0) << 3) + ((c & 0x38) << 2) + ((c & 7) << 1)
        .set i, i + 1
        .endr
