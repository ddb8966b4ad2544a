; pettingretro SNES input test ROM (32 KiB LoROM), assembled with ca65 in 65816 mode.
;
; The CPU's automatic joypad read fills $4218-$421B at every vblank; the NMI handler
; copies both words into WRAM bank $7E (snes9x's SYSTEM_RAM is the 128 KiB of WRAM):
;   $7E:0000-0001  port 0 (JOY1, $4218), 16-bit little endian
;   $7E:0002-0003  port 1 (JOY2, $421A), same layout
;   $7E:0004-0005  frame counter, 16-bit little endian
; Pad word bits (1 = held): 15 B  14 Y  13 Select  12 Start  11 Up  10 Down  9 Left  8 Right
;                            7 A   6 X   5 L        4 R       3-0 controller id (0 for a pad)
.p816
.smart

NMITIMEN = $4200
HVBJOY   = $4212
JOY1     = $4218
JOY2     = $421A

PAD0     = $0000                ; bank $00 $0000-$1FFF mirrors $7E:0000-$1FFF
PAD1     = $0002
FRAME    = $0004

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
        sta PAD0
        sta PAD1
        sta FRAME
        sep #$20                ; 8-bit A for the register write
        lda #$81                ; NMI at vblank + automatic joypad read
        sta NMITIMEN
        cli
forever:
        wai
        bra forever

nmi:
        rep #$30
        pha
        sep #$20
        lda $4210               ; acknowledge the NMI
wait:   lda HVBJOY              ; the automatic read takes ~3 scanlines
        and #$01
        bne wait
        rep #$20
        lda JOY1
        sta PAD0
        lda JOY2
        sta PAD1
        inc FRAME
        pla
irq:    rti

.segment "HEADER"               ; $00:FFC0, the cartridge header
        .byte "PETTINGRETRO INPUT   "    ; 21-byte title
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
