; pettingretro NES input test ROM (NROM-128, CHR-RAM), assembled with ca65.
;
; Every frame the NMI handler strobes both controllers and stores what it read:
;   $0010  port 0 (controller 1, $4016)   bit7 A  6 B  5 Select  4 Start
;   $0011  port 1 (controller 2, $4017)   bit3 Up 2 Down 1 Left  0 Right
;   $0012  frame counter (16-bit, little endian, $0012-$0013)
; fceumm exposes the 2 KiB of internal RAM as SYSTEM_RAM, so these are RAM offsets.

PPUCTRL  = $2000
PPUSTAT  = $2002
JOY1     = $4016
JOY2     = $4017

PAD0     = $10
PAD1     = $11
FRAME    = $12

.segment "HEADER"
        .byte "NES", $1A
        .byte 1                 ; 16 KiB PRG ROM
        .byte 0                 ; no CHR ROM: CHR RAM
        .byte $00, $00          ; mapper 0, horizontal mirroring
        .res 8, 0

.segment "CODE"
reset:
        sei
        cld
        ldx #$FF
        txs
        inx                     ; X = 0
        stx PPUCTRL             ; NMI off while the PPU warms up
        lda #0
clear:  sta $0000,x             ; zero the page our state lives in
        inx
        bne clear
        bit PPUSTAT             ; clear a stale vblank flag
wait1:  bit PPUSTAT
        bpl wait1
wait2:  bit PPUSTAT
        bpl wait2
        lda #$80                ; NMI at every vblank
        sta PPUCTRL
forever:
        jmp forever

nmi:
        pha
        lda #1                  ; latch both pads
        sta JOY1
        lda #0
        sta JOY1
        ldx #8
bits:   lda JOY1                ; reads A, B, Select, Start, Up, Down, Left, Right
        lsr a
        rol PAD0
        lda JOY2
        lsr a
        rol PAD1
        dex
        bne bits
        inc FRAME
        bne done
        inc FRAME+1
done:   pla
irq:    rti

.segment "VECTORS"
        .word nmi, reset, irq
