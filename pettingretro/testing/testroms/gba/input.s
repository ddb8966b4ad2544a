@ pettingretro Game Boy Advance input test ROM, assembled with arm-none-eabi-as (ARM state).
@
@ The GBA has one controller. At the start of every vblank the main loop reads KEYINPUT
@ (0x04000130, active low) and stores the pressed keys, active high, in EWRAM and IWRAM:
@   0x02000000 / 0x03000000  keys, 16-bit little endian:
@       bit 0 A  1 B  2 Select  3 Start  4 Right  5 Left  6 Up  7 Down  8 R  9 L
@   0x02000004 / 0x03000004  frame counter, 32-bit little endian
@ EWRAM offset 0 is what a core exposing EWRAM as SYSTEM_RAM shows at RAM offset 0.
@ The header carries no logo: mGBA's built-in (HLE) BIOS jumps straight to the cartridge.

        .arm
        .section .text
        .global _start
_start:
        b       start                   @ 0x00: entry point
        .space  156                     @ 0x04: logo area, left blank
        .ascii  "PRINPUT\0\0\0\0\0"     @ 0xA0: title (12 bytes)
        .ascii  "PRIE"                  @ 0xAC: game code
        .ascii  "00"                    @ 0xB0: maker code
        .byte   0x96                    @ 0xB2: fixed value
        .byte   0                       @ 0xB3: main unit code
        .byte   0                       @ 0xB4: device type
        .space  7                       @ 0xB5: reserved
        .byte   0                       @ 0xBC: version
        .byte   0                       @ 0xBD: complement check, written by the builder
        .space  2                       @ 0xBE: reserved

start:                                  @ 0xC0
        mov     r0, #0x04000000         @ I/O registers
        add     r1, r0, #0x100          @ KEYINPUT = r1 + 0x30
        mov     r2, #0x02000000         @ EWRAM
        mov     r3, #0x03000000         @ IWRAM
        mov     r4, #0                  @ frame counter
        strh    r4, [r0]                @ DISPCNT = 0: mode 0, display on (VCOUNT runs regardless)
        strh    r4, [r2]
        str     r4, [r2, #4]
        strh    r4, [r3]
        str     r4, [r3, #4]
loop:
1:      ldrh    r5, [r0, #6]            @ VCOUNT: wait until out of vblank
        cmp     r5, #160
        bhs     1b
2:      ldrh    r5, [r0, #6]            @ then until vblank begins (line 160)
        cmp     r5, #160
        blo     2b
        ldrh    r5, [r1, #0x30]         @ KEYINPUT, 0 = pressed
        mvn     r5, r5
        mov     r5, r5, lsl #22         @ keep the 10 key bits
        mov     r5, r5, lsr #22
        add     r4, r4, #1
        strh    r5, [r2]
        str     r4, [r2, #4]
        strh    r5, [r3]
        str     r4, [r3, #4]
        b       loop
