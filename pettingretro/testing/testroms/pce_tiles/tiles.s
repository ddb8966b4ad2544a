; pettingretro PC Engine tiles test ROM (8 KiB HuCard), assembled with ca65 --cpu huc6280.
;
; Draws a known background map, scrolls it and moves one sprite by input, so a test can
; check a tiles observation against what the ROM drew:
;   VRAM (16-bit words; the VDC's address space)
;     $0000-$07FF  BAT, 64 x 32 entries (MWR = $10); the entry at (row, col) is
;                  palette << 12 | tile with tile = $100 + ((row * 9 + col) & $FF) and
;                  palette = (row + col) & 3
;     $1000-$1FFF  tiles $100-$1FF, 16 words each: pseudo-random (a Galois LFSR, taps $1D)
;     $2000-$21FF  sprite patterns $80-$87 (64 words each), the same LFSR continued
;     $7F00-$7FFF  the sprite attribute table, copied to the VDC's SAT every vblank (DCR $10)
;   VCE   dot clock 0 (256 pixels); colour table entry i = (i * 5 + 3) & $1FF, so all
;         512 entries differ
;   VDC   HSR $0202, HDR $041F (256 pixels), VSR $0F02, VDR $00EF (240 lines), VCR $0003;
;         CR $00C8 (background and sprites on, vblank flag), MWR $0010 (BAT 64 x 32)
;   sprite 0   16 x 16, pattern $80, sprite palette 0, moved one pixel per frame by the d-pad
;   sprite 1   32 x 32, pattern $84-$87, sprite palette 1, x flipped, fixed at screen
;              (160, 120); both in front of the background (attribute bit 7)
;   scroll     BXR +1 every frame (0-511), BYR +1 while I is held (0-255)
; Shadows in the zero page (base RAM $2000 = SYSTEM_RAM offset 0):
;   $2000 pad 1 (as input.s)  $2001 frame (16 bit)  $2003 BXR low  $2004 BXR high
;   $2005 BYR  $2006 sprite 0 SAT X (16 bit: screen x + 32)  $2008 SAT Y (screen y + 64)
; Sprite 0's shadow is where the SAT shows it now: the VDC copies the SAT from VRAM at the
; start of vblank, so a position written during vblank shows from the next frame on.
.setcpu "HuC6280"

VDC_SR   = $0000                ; with MPR0 = $FF the I/O page sits at $0000-$1FFF
VDC_DL   = $0002
VDC_DH   = $0003
VCE_CR   = $0400
VCE_AL   = $0402
VCE_AH   = $0403
VCE_DL   = $0404
VCE_DH   = $0405
JOYPORT  = $1000
IRQMASK  = $1402

PAD      = $2000                ; the zero page ($2000-$20FF on this CPU)
FRAME    = $2001
SCXL     = $2003
SCXH     = $2004
SCY      = $2005
SPX      = $2006                ; shown: 16 bit each
SPY      = $2008
NEXTX    = $200A                ; written to the SAT this vblank: 16 bit each
NEXTY    = $200C
LFSR     = $200E
ROWV     = $200F
PALV     = $2010
COLV     = $2011
TMP      = $2012
CNTL     = $2013
CNTH     = $2014
LAST     = $2015

SAT_VRAM = $7F00

.segment "CODE"
reset:
        sei
        csh                     ; 7.16 MHz
        cld
        lda #$FF
        tam #$01                ; MPR0: I/O
        lda #$F8
        tam #$02                ; MPR1: base RAM at $2000
        ldx #$FF
        txs
        lda #$07
        sta IRQMASK             ; mask IRQ2, IRQ1 (VDC) and the timer at the source
        clx
        cla
clear:  sta PAD,x
        inx
        cpx #(LAST - PAD)
        bne clear

        st0 #$05                ; CR: display off while VRAM fills
        st1 #$00
        st2 #$00

        ; BAT: 32 rows of 64 entries from VRAM $0000
        st0 #$00
        st1 #$00
        st2 #$00
        st0 #$02
        ldy #0                  ; row
@row:   lda ROWV
        sta COLV
        sty PALV
        ldx #64
@col:   lda COLV
        sta a:VDC_DL
        lda PALV
        and #$03
        asl a
        asl a
        asl a
        asl a
        ora #$01                ; tile bit 8: tiles $100-$1FF
        sta a:VDC_DH
        inc COLV
        inc PALV
        dex
        bne @col
        lda ROWV
        clc
        adc #9
        sta ROWV
        iny
        cpy #32
        bne @row

        ; tiles $100-$1FF and sprite patterns $80-$87: $1000-$21FF, LFSR words
        st0 #$00
        st1 #$00
        st2 #$10
        st0 #$02
        lda #1
        sta LFSR
        lda #$00                ; $1200 words
        sta CNTL
        lda #$12
        sta CNTH
@fill:  jsr lfsr
        sta a:VDC_DL
        jsr lfsr
        sta a:VDC_DH
        dec CNTL
        bne @fill
        dec CNTH
        bne @fill

        ; SAT copy at $7F00: every sprite off screen (Y = 0 is 64 lines above it)
        st0 #$00
        st1 #<SAT_VRAM
        st2 #>SAT_VRAM
        st0 #$02
        ldx #0
@sat:   st1 #$00
        st2 #$00
        inx
        bne @sat
        lda #<(40 + 32)         ; sprite 0 starts at screen (40, 32)
        sta NEXTX
        sta SPX
        lda #<(32 + 64)
        sta NEXTY
        sta SPY
        jsr sprite0
        st0 #$00                ; sprite 1: entry 1, words 4-7
        st1 #<(SAT_VRAM + 4)
        st2 #>(SAT_VRAM + 4)
        st0 #$02
        st1 #<(120 + 64)        ; Y
        st2 #>(120 + 64)
        st1 #<(160 + 32)        ; X
        st2 #>(160 + 32)
        st1 #$08                ; pattern address $2100 >> 5 = $108
        st2 #$01
        st1 #$81                ; palette 1, in front ($80), 32 wide ($0100), x flip ($0800),
        st2 #$19                ; 32 high ($1000)

        ; VCE: dot clock 0, colour i = (i * 5 + 3) & $1FF
        stz VCE_CR
        stz VCE_AL
        stz VCE_AH
        lda #3
        sta CNTL
        stz CNTH
        ldy #2                  ; 2 x 256 entries
        clx
@pal:   lda CNTL
        sta VCE_DL
        lda CNTH
        and #$01
        sta VCE_DH
        lda CNTL
        clc
        adc #5
        sta CNTL
        bcc :+
        inc CNTH
:       inx
        bne @pal
        dey
        bne @pal

        ; VDC timing: 256 x 240
        st0 #$0A                ; HSR
        st1 #$02
        st2 #$02
        st0 #$0B                ; HDR
        st1 #$1F
        st2 #$04
        st0 #$0C                ; VSR
        st1 #$02
        st2 #$0F
        st0 #$0D                ; VDR
        st1 #$EF
        st2 #$00
        st0 #$0E                ; VCR
        st1 #$03
        st2 #$00
        st0 #$09                ; MWR: BAT 64 x 32
        st1 #$10
        st2 #$00
        st0 #$0F                ; DCR: SAT DMA every vblank
        st1 #$10
        st2 #$00
        st0 #$13                ; SATB
        st1 #<SAT_VRAM
        st2 #>SAT_VRAM
        jsr scroll
        st0 #$05                ; CR: background and sprites on, flag vblank
        st1 #$C8
        st2 #$00

forever:
        lda a:VDC_SR            ; reading the status register clears its flags
        and #$20
        beq forever

        lda #$01                ; pad 1 through the multitap, as input.s
        sta JOYPORT
        lda #$03
        sta JOYPORT
        lda #$01
        sta JOYPORT
        lda JOYPORT             ; SEL high: d-pad nibble, 0 = pressed
        eor #$0F
        and #$0F
        asl a
        asl a
        asl a
        asl a
        sta TMP
        stz JOYPORT             ; SEL low: button nibble
        lda JOYPORT
        eor #$0F
        and #$0F
        ora TMP
        sta PAD
        lda #$01
        sta JOYPORT

        lda NEXTX               ; the SAT now holds what was written last vblank
        sta SPX
        lda NEXTX+1
        sta SPX+1
        lda NEXTY
        sta SPY
        lda NEXTY+1
        sta SPY+1

        inc SCXL                ; BXR +1, wrapping at 512 (the BAT's width in pixels)
        bne :+
        lda SCXH
        eor #1
        sta SCXH
:       lda PAD
        lsr a                   ; I: BYR +1 (a byte: wraps at 256, the BAT's height)
        bcc :+
        inc SCY
:       lda PAD                 ; bit7 Left 6 Down 5 Right 4 Up
        and #$80
        beq :+                  ; Left: X - 1
        lda NEXTX
        bne @decx
        dec NEXTX+1
@decx:  dec NEXTX
:       lda PAD
        and #$40
        beq :+                  ; Down: Y + 1
        inc NEXTY
        bne :+
        inc NEXTY+1
:       lda PAD
        and #$20
        beq :+                  ; Right: X + 1
        inc NEXTX
        bne :+
        inc NEXTX+1
:       lda PAD
        and #$10
        beq :+                  ; Up: Y - 1
        lda NEXTY
        bne @decy
        dec NEXTY+1
@decy:  dec NEXTY
:       jsr sprite0
        jsr scroll
        inc FRAME
        bne :+
        inc FRAME+1
:       jmp forever

; Write sprite 0 (NEXTX, NEXTY) to the SAT copy in VRAM: words 0-3.
sprite0:
        st0 #$00
        st1 #<SAT_VRAM
        st2 #>SAT_VRAM
        st0 #$02
        lda NEXTY
        sta a:VDC_DL
        lda NEXTY+1
        and #$03
        sta a:VDC_DH
        lda NEXTX
        sta a:VDC_DL
        lda NEXTX+1
        and #$03
        sta a:VDC_DH
        st1 #$00                ; pattern address $2000 >> 5 = $100
        st2 #$01
        st1 #$80                ; palette 0, in front of the background, 16 x 16, no flip
        st2 #$00
        rts

; Write the scroll shadows to BXR and BYR.
scroll:
        st0 #$07
        lda SCXL
        sta a:VDC_DL
        lda SCXH
        sta a:VDC_DH
        st0 #$08
        lda SCY
        sta a:VDC_DL
        st2 #$00
        rts

; Next LFSR byte in A.
lfsr:   lda LFSR
        asl a
        bcc :+
        eor #$1D
:       sta LFSR
        rts

irq:    rti

.segment "VECTORS"              ; $FFF6: IRQ2/BRK, IRQ1 (VDC), timer, NMI, reset
        .word irq, irq, irq, irq, reset
