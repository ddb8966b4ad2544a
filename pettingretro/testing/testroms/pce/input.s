; pettingretro PC Engine input test ROM (8 KiB HuCard), assembled with ca65 --cpu huc6280.
;
; Each frame (VDC vblank flag, polled with interrupts off) the main loop reads all five
; pads through the multitap protocol ($1000: bit0 SEL, bit1 CLR) and stores, active high:
;   $2000  pad 1 (port 0)   bit7 Left  6 Down  5 Right  4 Up  3 Run  2 Select  1 II  0 I
;   $2001  pad 2 (port 1)   same layout for every pad; pads 2-5 sit behind the multitap,
;   $2002  pad 3 (port 2)   which mednafen_pce_fast always emulates (it has no option for it)
;   $2003  pad 4 (port 3)
;   $2004  pad 5 (port 4)
;   $2005  frame counter (16-bit, little endian, $2005-$2006)
; With MPR1 = $F8, $2000 is the first byte of the 8 KiB base RAM, mednafen_pce_fast's SYSTEM_RAM.
.setcpu "HuC6280"

VDC_SR   = $0000                ; with MPR0 = $FF the I/O page sits at $0000-$1FFF
JOYPORT  = $1000
IRQMASK  = $1402

PAD0     = $2000                ; the zero page ($2000-$20FF on this CPU)
NPADS    = 5
FRAME    = $2005
TMP      = $2007

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
clear:  sta PAD0,x              ; pads, frame counter, scratch
        inx
        cpx #(TMP - PAD0 + 1)
        bne clear
        st0 #$05                ; VDC control register: flag vblank (status bit 5)
        st1 #$08
        st2 #$00
forever:
        lda a:VDC_SR            ; absolute: zero page is RAM ($2000) on the HuC6280
                                ; reading the status register clears its flags
        and #$20
        beq forever

        lda #$01                ; SEL high, CLR low
        sta JOYPORT
        lda #$03                ; CLR high: the multitap restarts at pad 1
        sta JOYPORT
        lda #$01
        sta JOYPORT
        clx
pad:    lda JOYPORT             ; SEL high: d-pad nibble, 0 = pressed
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
        sta PAD0,x
        lda #$01                ; SEL high again: the multitap moves to the next pad
        sta JOYPORT
        inx
        cpx #NPADS
        bne pad

        inc FRAME
        bne forever
        inc FRAME+1
        bra forever

irq:    rti

.segment "VECTORS"              ; $FFF6: IRQ2/BRK, IRQ1 (VDC), timer, NMI, reset
        .word irq, irq, irq, irq, reset
