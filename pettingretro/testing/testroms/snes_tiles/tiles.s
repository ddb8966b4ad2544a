; pettingretro SNES tiles test ROM (32 KiB LoROM), assembled with ca65 in 65816 mode.
;
; Draws a known BG1 map in mode 1, scrolls it and moves a sprite by input, so a test can
; check a tiles observation against what the ROM drew:
;   VRAM words $0000-$3FFF  BG1 tile data: 1024 4bpp tiles of pseudo-random words (a Galois
;                           LFSR, x >> 1 ^ $B400), so tiles differ
;   VRAM words $4000-$4FFF  BG1 map, 64x64 entries (BG1SC = $43: four 32x32 screens, top-left,
;                           top-right, bottom-left, bottom-right); the entry at map (row, col)
;                           is tile (row * 9 + col) & $3FF with bits 10-15 (palette, priority,
;                           h flip, v flip) = (r * 5 + c * 3) & $3F, r, c = row % 32, col % 32
;   VRAM words $6000-$7FFF  sprite tile data: 512 more LFSR tiles (OBSEL = $03: 8x8 small and
;                           16x16 large sprites, names at word $6000, the second table next)
;   CGRAM                   colour i is ($0123 + i * $02F1) & $7FFF: 256 different colours
;   BGMODE $01 (mode 1, 8x8 tiles), TM $11 (BG1 and sprites on the main screen)
;   sprite 0                large (16x16), name $042, priority 3, moved one pixel per frame
;                           by the d-pad
;   sprite 1                small (8x8), name $107 (the second table), fixed at (200, 150)
;   sprites 2-127           small, at Y = 240 (below the screen)
;   scroll                  BG1HOFS +1 every frame, BG1VOFS +1 while A is held (both 0-1023)
; Shadows in WRAM (snes9x's SYSTEM_RAM is the 128 KiB of WRAM, bank $7E first):
;   $0000 pad 1 (input.s's bits)  $0002 frame (16 bit)
;   $0010 BG1HOFS (16 bit)  $0012 BG1VOFS (16 bit)  $0014 sprite 0 OAM X  $0015 sprite 0 OAM Y
; Each vblank the ROM reads the pad, updates the shadows and writes them to the PPU, so at
; the end of a frame the shadows are what the next frame will show.
.p816
.smart

INIDISP  = $2100
OBSEL    = $2101
OAMADDL  = $2102
OAMADDH  = $2103
OAMDATA  = $2104
BGMODE   = $2105
BG1SC    = $2107
BG12NBA  = $210B
BG1HOFS  = $210D
BG1VOFS  = $210E
VMAIN    = $2115
VMADDL   = $2116
VMDATAL  = $2118
CGADD    = $2121
CGDATA   = $2122
TM       = $212C
NMITIMEN = $4200
RDNMI    = $4210
HVBJOY   = $4212
JOY1     = $4218

PAD      = $00
FRAME    = $02
LFSR     = $04
ROWV     = $06
ROWATTR  = $08
TILE     = $0A
ATTR     = $0C
ROWS     = $0E
SCX      = $10
SCY      = $12
SPX      = $14
SPY      = $15
COLOR    = $16
TMP      = $18

SPRITE_TILE = $42
SPRITE_ATTR = $30               ; priority 3, palette 0, first name table

.segment "CODE"
reset:
        sei
        clc
        xce                     ; native mode
        rep #$38                ; 16-bit A/X/Y, binary mode
        ldx #$1FFF
        txs
        lda #$0000
        tcd                     ; direct page = 0
        pha
        plb                     ; data bank = 0
        plb
        ldx #$00FE
clear:  stz $00,x
        dex
        dex
        bpl clear

        sep #$20
        lda #$80
        sta INIDISP             ; forced blank while VRAM is filled
        stz NMITIMEN
        lda #$01
        sta BGMODE
        lda #$43
        sta BG1SC
        stz BG12NBA
        lda #$03
        sta OBSEL
        lda #$11
        sta TM
        lda #$80
        sta VMAIN               ; the address steps after each write to $2119
        lda #40
        sta SPX
        lda #32
        sta SPY

        rep #$20
        lda #$ACE1
        sta LFSR
        stz VMADDL
        ldx #$4000
        jsr lfsrfill            ; BG1 tiles
        lda #$6000
        sta VMADDL
        ldx #$2000
        jsr lfsrfill            ; sprite tiles
        lda #$4000
        sta VMADDL
        jsr fillmap

        sep #$20                ; CGRAM: two byte writes per colour
        stz CGADD
        rep #$20
        lda #$0123
        sta COLOR
        ldx #256
pal:    sep #$20
        lda COLOR
        sta CGDATA
        lda COLOR+1
        sta CGDATA
        rep #$20
        lda COLOR
        clc
        adc #$02F1
        and #$7FFF
        sta COLOR
        dex
        bne pal

        sep #$20                ; OAM: sprites 0 and 1, the rest below the screen
        stz OAMADDL
        stz OAMADDH
        lda SPX
        sta OAMDATA
        lda SPY
        sta OAMDATA
        lda #SPRITE_TILE
        sta OAMDATA
        lda #SPRITE_ATTR
        sta OAMDATA
        lda #200
        sta OAMDATA
        lda #150
        sta OAMDATA
        lda #$07
        sta OAMDATA
        lda #$31                ; priority 3, name table 2
        sta OAMDATA
        ldx #126
hide:   stz OAMDATA             ; X = 0
        lda #240
        sta OAMDATA             ; Y = 240
        stz OAMDATA
        stz OAMDATA
        dex
        bne hide
        lda #$02                ; high table: sprite 0 large, X bit 8 clear everywhere
        sta OAMDATA
        ldx #31
high:   stz OAMDATA
        dex
        bne high

        lda #$0F
        sta INIDISP             ; display on, full brightness
        lda #$81
        sta NMITIMEN            ; NMI at vblank + automatic joypad read
        cli
forever:
        wai
        bra forever

; Write X words of the LFSR sequence to VRAM (16-bit A/X/Y).
.a16
.i16
lfsrfill:
        lda LFSR
@loop:  sta VMDATAL
        lsr a
        bcc :+
        eor #$B400
:       dex
        bne @loop
        sta LFSR
        rts

; Write the 64x64 BG1 map, screen by screen (16-bit A/X/Y).
fillmap:
        ldy #0
@screen:
        lda scrbase,y
        sta ROWV
        stz ROWATTR
        lda #32
        sta ROWS
@row:   lda ROWV
        sta TILE
        lda ROWATTR
        sta ATTR
        ldx #32
@col:   lda ATTR
        and #$003F
        xba
        asl a
        asl a                   ; bits 10-15
        sta TMP
        lda TILE
        and #$03FF
        ora TMP
        sta VMDATAL
        inc TILE
        lda ATTR
        clc
        adc #3
        sta ATTR
        dex
        bne @col
        lda ROWV
        clc
        adc #9
        sta ROWV
        lda ROWATTR
        clc
        adc #5
        sta ROWATTR
        dec ROWS
        bne @row
        iny
        iny
        cpy #8
        bne @screen
        rts

scrbase:                        ; row * 9 + col at each screen's top-left map cell
        .word 0, 32, 32 * 9, 32 * 9 + 32

nmi:
        rep #$30
        pha
        phx
        phy
        sep #$20
        lda RDNMI               ; acknowledge the NMI
wait:   lda HVBJOY              ; the automatic read takes ~3 scanlines
        and #$01
        bne wait
        rep #$20
        lda JOY1
        sta PAD
        inc FRAME
        lda SCX
        inc a
        and #$03FF
        sta SCX
        lda PAD
        and #$0080              ; A held
        beq :+
        lda SCY
        inc a
        and #$03FF
        sta SCY
:       sep #$20
        lda PAD+1               ; bit 3 up, 2 down, 1 left, 0 right
        bit #$08
        beq :+
        dec SPY
:       bit #$04
        beq :+
        inc SPY
:       bit #$02
        beq :+
        dec SPX
:       bit #$01
        beq :+
        inc SPX
:       lda SCX
        sta BG1HOFS
        lda SCX+1
        sta BG1HOFS
        lda SCY
        sta BG1VOFS
        lda SCY+1
        sta BG1VOFS
        stz OAMADDL
        stz OAMADDH
        lda SPX
        sta OAMDATA
        lda SPY
        sta OAMDATA
        lda #SPRITE_TILE
        sta OAMDATA
        lda #SPRITE_ATTR
        sta OAMDATA
        rep #$30
        ply
        plx
        pla
irq:    rti

.segment "HEADER"               ; $00:FFC0, the cartridge header
        .byte "PETTINGRETRO TILES   "    ; 21-byte title
        .byte $20               ; LoROM, slow ROM
        .byte $00               ; ROM only
        .byte $05               ; 32 KiB ROM
        .byte $00               ; no SRAM
        .byte $01               ; region: North America
        .byte $00               ; developer id
        .byte $00               ; version
        .word $FFFF             ; checksum complement: patched by the builder
        .word $0000             ; checksum: patched by the builder

.segment "VECTORS"              ; $00:FFE0
        .word 0, 0              ; native mode
        .word irq               ; COP
        .word irq               ; BRK
        .word irq               ; ABORT
        .word nmi               ; NMI
        .word 0
        .word irq               ; IRQ
        .word 0, 0              ; emulation mode
        .word irq               ; COP
        .word 0
        .word irq               ; ABORT
        .word nmi               ; NMI
        .word reset             ; RESET
        .word irq               ; IRQ/BRK
