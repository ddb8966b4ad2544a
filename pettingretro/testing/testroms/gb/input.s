; pettingretro Game Boy input test ROM (32 KiB, no mapper), assembled with sdasgb.
;
; The Game Boy has one controller. Each vblank the main loop reads the P1 register
; ($FF00) twice (d-pad row, then button row) and stores the pressed keys, active high:
;   $C000  keys     bit7 Start  6 Select  5 B  4 A  3 Down  2 Up  1 Left  0 Right
;   $C001  frame counter (16-bit, little endian, $C001-$C002)
; gambatte's SYSTEM_RAM starts at work RAM $C000, so these are RAM offsets 0 and 1.
; The header carries no logo: gambatte starts at $0100 without running a boot ROM.

rP1   = 0xFF00
rIF   = 0xFF0F
rLCDC = 0xFF40
rIE   = 0xFFFF

KEYS  = 0xC000
FRAME = 0xC001

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
        .ascii "PRINPUT"        ; $0134: title, zero padded to 16 bytes with the CGB flag
        .db 0,0,0,0,0,0,0,0,0   ; $0143 = 0: DMG game
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
        xor a
        ld (KEYS), a
        ld (FRAME), a
        ld (FRAME+1), a
        ld a, #0x91             ; LCD on: without it there is no vblank
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
        ld a, (rP1)              ; re-read: the lines need a moment to settle
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
        ld hl, #FRAME
        inc (hl)
        jr nz, loop
        inc hl
        inc (hl)
        jr loop
