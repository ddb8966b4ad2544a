; pettingretro NES tiles test ROM (NROM-128, CHR-RAM, vertical mirroring), assembled with ca65.
;
; Draws a known background, scrolls it and moves one sprite by input, so a test can check a
; tiles observation against what the ROM drew:
;   CHR RAM     $0000-$1FFF: pseudo-random bytes (a Galois LFSR, taps $1D), so tiles differ
;   nametables  $2000 and $2400 side by side (vertical mirroring) form a 64x30 map whose
;               tile at (row, col) is (row * 9 + col) & $FF; every attribute byte is $E4
;               (palettes 0-3 in the four 16x16 quadrants of each 32x32 block)
;   PPUCTRL     $90 | nametable: NMI on, background tiles from $1000, 8x8 sprites from $0000
;   sprite 0    tile $42, moved one pixel per frame by the d-pad
;   scroll      X +1 every frame (0-511), Y +1 while A is held (0-239)
; Shadows in the 2 KiB of internal RAM (fceumm's SYSTEM_RAM):
;   $10 pad 1 (bit7 A 6 B 5 Select 4 Start 3 Up 2 Down 1 Left 0 Right)  $12 frame (16 bit)
;   $14 scroll X low  $15 scroll X high (0/1)  $16 scroll Y  $17 sprite OAM X  $18 sprite OAM Y
; The NMI handler updates the shadows and writes them to the PPU before the frame is drawn.

PPUCTRL  = $2000
PPUMASK  = $2001
PPUSTAT  = $2002
OAMADDR  = $2003
PPUSCRL  = $2005
PPUADDR  = $2006
PPUDATA  = $2007
OAMDMA   = $4014
JOY1     = $4016

PAD      = $10
FRAME    = $12
SCXL     = $14
SCXH     = $15
SCY      = $16
SPX      = $17
SPY      = $18
LFSR     = $19
ROWV     = $1A
OAM      = $0200

SPRITE_TILE = $42

.segment "HEADER"
        .byte "NES", $1A
        .byte 1                 ; 16 KiB PRG ROM
        .byte 0                 ; no CHR ROM: CHR RAM
        .byte $01, $00          ; mapper 0, vertical mirroring
        .res 8, 0

.segment "CODE"
reset:
        sei
        cld
        ldx #$FF
        txs
        inx                     ; X = 0
        stx PPUCTRL             ; NMI off while the PPU warms up
        stx PPUMASK             ; rendering off while we fill VRAM
        lda #0
clear:  sta $0000,x
        inx
        bne clear
        lda #$FF                ; every sprite below the screen
hide:   sta OAM,x
        inx
        bne hide
        lda #40                 ; sprite 0 at screen (40, 32): OAM Y is the top line - 1
        sta SPX
        lda #31
        sta SPY
        bit PPUSTAT             ; clear a stale vblank flag
wait1:  bit PPUSTAT
        bpl wait1
wait2:  bit PPUSTAT
        bpl wait2

        lda #0                  ; CHR RAM: 8 KiB of LFSR bytes
        sta PPUADDR
        sta PPUADDR
        lda #1
        sta LFSR
        ldy #32
        ldx #0
chr:    lda LFSR
        sta PPUDATA
        asl a
        bcc :+
        eor #$1D
:       sta LFSR
        inx
        bne chr
        dey
        bne chr

        lda #$20                ; left nametable: columns 0-31
        ldx #0
        jsr fillnt
        lda #$24                ; right nametable: columns 32-63
        ldx #32
        jsr fillnt

        lda #$3F                ; palettes
        sta PPUADDR
        lda #0
        sta PPUADDR
        ldx #0
pal:    lda palette,x
        sta PPUDATA
        inx
        cpx #32
        bne pal

        jsr show
        lda #$1E                ; background and sprites on, left column included
        sta PPUMASK
forever:
        jmp forever

; Fill the nametable at PPU $AA00 (A = $AA) with (row * 9 + col + X) & $FF, then its
; attribute table with $E4.
fillnt:
        bit PPUSTAT
        sta PPUADDR
        lda #0
        sta PPUADDR
        stx ROWV
        ldy #30
@row:   lda ROWV
        ldx #32
@col:   sta PPUDATA
        clc
        adc #1
        dex
        bne @col
        lda ROWV
        clc
        adc #9
        sta ROWV
        dey
        bne @row
        lda #$E4
        ldx #64
@attr:  sta PPUDATA
        dex
        bne @attr
        rts

; Write the shadows to the PPU: sprite 0 by DMA, then scroll and nametable select.
show:
        lda SPY
        sta OAM
        lda #SPRITE_TILE
        sta OAM+1
        lda #0
        sta OAM+2
        lda SPX
        sta OAM+3
        lda #0
        sta OAMADDR
        lda #>OAM
        sta OAMDMA
        bit PPUSTAT             ; reset the $2005/$2006 write toggle
        lda SCXL
        sta PPUSCRL
        lda SCY
        sta PPUSCRL
        lda SCXH
        ora #$90
        sta PPUCTRL
        rts

nmi:
        pha
        txa
        pha
        lda #1                  ; latch pad 1
        sta JOY1
        lda #0
        sta JOY1
        ldx #8
bits:   lda JOY1                ; A, B, Select, Start, Up, Down, Left, Right
        lsr a
        rol PAD
        dex
        bne bits

        inc SCXL                ; scroll X +1, wrapping at 512
        bne :+
        lda SCXH
        eor #1
        sta SCXH
:       lda PAD
        bpl :+                  ; A: scroll Y +1, wrapping at 240
        ldx SCY
        inx
        cpx #240
        bne @y
        ldx #0
@y:     stx SCY
:       lda PAD
        lsr a                   ; Right
        bcc :+
        inc SPX
:       lsr a                   ; Left
        bcc :+
        dec SPX
:       lsr a                   ; Down
        bcc :+
        inc SPY
:       lsr a                   ; Up
        bcc :+
        dec SPY
:       jsr show
        inc FRAME
        bne :+
        inc FRAME+1
:       pla
        tax
        pla
irq:    rti

palette:                        ; backgrounds, then sprites: a shared black, three colours each
        .byte $0F, $00, $10, $30,  $0F, $06, $16, $26,  $0F, $09, $19, $29,  $0F, $02, $12, $22
        .byte $0F, $07, $17, $27,  $0F, $0A, $1A, $2A,  $0F, $04, $14, $24,  $0F, $08, $18, $28

.segment "VECTORS"
        .word nmi, reset, irq
