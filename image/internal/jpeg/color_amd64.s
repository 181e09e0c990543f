//go:build amd64 && !purego

#include "textflag.h"

// h2v2RGBAVX2, h2v1RGBAVX2, yccRGBAVX2: see simd_amd64.go. Per group of 8
// output pixels, all in 32-bit lanes so every product and sum is the exact
// integer that the Go code computes; for h2v2 (chroma columns i..i+3):
//   s    = 3·c0 + c1 for columns i-1..i+6 (one load of 8 bytes each)
//   c    = (3·s[near] + s[far] + {8,7}) >> 4, near/far picked by VPERMD
//   R    = y + ((91881·(cr-128) + 32768) >> 16)       (jpegCrR)
//   G    = y + ((-22554·(cb-128) + 32768 - 46802·(cr-128)) >> 16)
//   B    = y + ((116130·(cb-128) + 32768) >> 16)      (jpegCbB)
// then VPACKSSDW/VPACKUSWB saturate to [0, 255] (= clampTab, since the sums
// are within int16) and VPSHUFB interleaves to RGB. h2v1 is the same with
// s = c and (3·s[near] + s[far] + {1,2}) >> 2; ycc has no filter.

DATA permNear<>+0(SB)/4, $1
DATA permNear<>+4(SB)/4, $1
DATA permNear<>+8(SB)/4, $2
DATA permNear<>+12(SB)/4, $2
DATA permNear<>+16(SB)/4, $3
DATA permNear<>+20(SB)/4, $3
DATA permNear<>+24(SB)/4, $4
DATA permNear<>+28(SB)/4, $4
GLOBL permNear<>(SB), RODATA|NOPTR, $32

DATA permFar<>+0(SB)/4, $0
DATA permFar<>+4(SB)/4, $2
DATA permFar<>+8(SB)/4, $1
DATA permFar<>+12(SB)/4, $3
DATA permFar<>+16(SB)/4, $2
DATA permFar<>+20(SB)/4, $4
DATA permFar<>+24(SB)/4, $3
DATA permFar<>+28(SB)/4, $5
GLOBL permFar<>(SB), RODATA|NOPTR, $32

DATA bias87<>+0(SB)/4, $8
DATA bias87<>+4(SB)/4, $7
DATA bias87<>+8(SB)/4, $8
DATA bias87<>+12(SB)/4, $7
DATA bias87<>+16(SB)/4, $8
DATA bias87<>+20(SB)/4, $7
DATA bias87<>+24(SB)/4, $8
DATA bias87<>+28(SB)/4, $7
GLOBL bias87<>(SB), RODATA|NOPTR, $32

DATA bias12<>+0(SB)/4, $1
DATA bias12<>+4(SB)/4, $2
DATA bias12<>+8(SB)/4, $1
DATA bias12<>+12(SB)/4, $2
DATA bias12<>+16(SB)/4, $1
DATA bias12<>+20(SB)/4, $2
DATA bias12<>+24(SB)/4, $1
DATA bias12<>+28(SB)/4, $2
GLOBL bias12<>(SB), RODATA|NOPTR, $32

DATA k128<>+0(SB)/4, $128
GLOBL k128<>(SB), RODATA|NOPTR, $4
DATA kHalf<>+0(SB)/4, $32768
GLOBL kHalf<>(SB), RODATA|NOPTR, $4
DATA kCrR<>+0(SB)/4, $91881
GLOBL kCrR<>(SB), RODATA|NOPTR, $4
DATA kCbG<>+0(SB)/4, $-22554
GLOBL kCbG<>(SB), RODATA|NOPTR, $4
DATA kCrG<>+0(SB)/4, $-46802
GLOBL kCrG<>(SB), RODATA|NOPTR, $4
DATA kCbB<>+0(SB)/4, $116130
GLOBL kCbB<>(SB), RODATA|NOPTR, $4

// Interleave masks (printed by a few lines of Python from this rule):
// lo = [R0..R7, B0..B7], hi = [G0..G7, B0..B7]; output byte t is pixel
// t/3, channel t%3; 0x80 gives a zero byte, and the two shuffles are ORed.
DATA shufLo0<>+0(SB)/8, $0x8002098001088000
DATA shufLo0<>+8(SB)/8, $0x050c80040b80030a
GLOBL shufLo0<>(SB), RODATA|NOPTR, $16
DATA shufHi0<>+0(SB)/8, $0x0280800180800080
DATA shufHi0<>+8(SB)/8, $0x8080048080038080
GLOBL shufHi0<>(SB), RODATA|NOPTR, $16
DATA shufLo1<>+0(SB)/8, $0x0f80070e80060d80
DATA shufLo1<>+8(SB)/8, $0x8080808080808080
GLOBL shufLo1<>(SB), RODATA|NOPTR, $16
DATA shufHi1<>+0(SB)/8, $0x8007808006808005
DATA shufHi1<>+8(SB)/8, $0x8080808080808080
GLOBL shufHi1<>(SB), RODATA|NOPTR, $16

// YCC_RGB: Y5 = cb-128, Y6 = cr-128 (8 int32 lanes), 8 Y samples at (SI)
// -> 24 bytes of RGB at (DI). Needs Y12..Y15 = kCrR, kCbG, kCrG, kCbB.
// The packs give words [R0-3 G0-3 | R4-7 G4-7] -> [R0-7 | G0-7] and
// [B0-7 | B0-7], then bytes [R0-7 B0-7 | G0-7 B0-7] for the shuffles.
#define YCC_RGB \
	VPMOVZXBD (SI), Y7; \
	VPBROADCASTD kHalf<>(SB), Y4; \
	VPMULLD Y12, Y6, Y0; \
	VPADDD Y4, Y0, Y0; \
	VPSRAD $16, Y0, Y0; \
	VPADDD Y7, Y0, Y0; \
	VPMULLD Y13, Y5, Y1; \
	VPMULLD Y14, Y6, Y2; \
	VPADDD Y2, Y1, Y1; \
	VPADDD Y4, Y1, Y1; \
	VPSRAD $16, Y1, Y1; \
	VPADDD Y7, Y1, Y1; \
	VPMULLD Y15, Y5, Y2; \
	VPADDD Y4, Y2, Y2; \
	VPSRAD $16, Y2, Y2; \
	VPADDD Y7, Y2, Y2; \
	VPACKSSDW Y1, Y0, Y0; \
	VPERMQ $0xD8, Y0, Y0; \
	VPACKSSDW Y2, Y2, Y2; \
	VPERMQ $0xD8, Y2, Y2; \
	VPACKUSWB Y2, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPSHUFB shufLo0<>(SB), X0, X2; \
	VPSHUFB shufHi0<>(SB), X1, X3; \
	VPOR X3, X2, X2; \
	VMOVDQU X2, (DI); \
	VPSHUFB shufLo1<>(SB), X0, X2; \
	VPSHUFB shufHi1<>(SB), X1, X3; \
	VPOR X3, X2, X2; \
	MOVQ X2, 16(DI)

#define LOAD_COLOR_CONSTS \
	VPBROADCASTD k128<>(SB), Y11; \
	VPBROADCASTD kCrR<>(SB), Y12; \
	VPBROADCASTD kCbG<>(SB), Y13; \
	VPBROADCASTD kCrG<>(SB), Y14; \
	VPBROADCASTD kCbB<>(SB), Y15

// func h2v2RGBAVX2(dst, y, cb0, cb1, cr0, cr1 *uint8, groups int)
TEXT ·h2v2RGBAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ cb0+16(FP), R8
	MOVQ cb1+24(FP), R9
	MOVQ cr0+32(FP), R10
	MOVQ cr1+40(FP), R11
	MOVQ groups+48(FP), CX
	VMOVDQU permNear<>(SB), Y8
	VMOVDQU permFar<>(SB), Y9
	VMOVDQU bias87<>(SB), Y10
	LOAD_COLOR_CONSTS

h2v2loop:
	// cb: column sums, then the horizontal triangle filter
	VPMOVZXBD (R8), Y0
	VPMOVZXBD (R9), Y1
	VPSLLD $1, Y0, Y2
	VPADDD Y0, Y2, Y2
	VPADDD Y1, Y2, Y2
	VPERMD Y2, Y8, Y3
	VPERMD Y2, Y9, Y4
	VPSLLD $1, Y3, Y5
	VPADDD Y3, Y5, Y5
	VPADDD Y4, Y5, Y5
	VPADDD Y10, Y5, Y5
	VPSRLD $4, Y5, Y5
	VPSUBD Y11, Y5, Y5 // cb - 128

	// cr
	VPMOVZXBD (R10), Y0
	VPMOVZXBD (R11), Y1
	VPSLLD $1, Y0, Y2
	VPADDD Y0, Y2, Y2
	VPADDD Y1, Y2, Y2
	VPERMD Y2, Y8, Y3
	VPERMD Y2, Y9, Y4
	VPSLLD $1, Y3, Y6
	VPADDD Y3, Y6, Y6
	VPADDD Y4, Y6, Y6
	VPADDD Y10, Y6, Y6
	VPSRLD $4, Y6, Y6
	VPSUBD Y11, Y6, Y6 // cr - 128

	YCC_RGB

	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ h2v2loop
	VZEROUPPER
	RET

// func h2v1RGBAVX2(dst, y, cb, cr *uint8, groups int)
TEXT ·h2v1RGBAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ cb+16(FP), R8
	MOVQ cr+24(FP), R10
	MOVQ groups+32(FP), CX
	VMOVDQU permNear<>(SB), Y8
	VMOVDQU permFar<>(SB), Y9
	VMOVDQU bias12<>(SB), Y10
	LOAD_COLOR_CONSTS

h2v1loop:
	VPMOVZXBD (R8), Y2
	VPERMD Y2, Y8, Y3
	VPERMD Y2, Y9, Y4
	VPSLLD $1, Y3, Y5
	VPADDD Y3, Y5, Y5
	VPADDD Y4, Y5, Y5
	VPADDD Y10, Y5, Y5
	VPSRLD $2, Y5, Y5
	VPSUBD Y11, Y5, Y5 // cb - 128

	VPMOVZXBD (R10), Y2
	VPERMD Y2, Y8, Y3
	VPERMD Y2, Y9, Y4
	VPSLLD $1, Y3, Y6
	VPADDD Y3, Y6, Y6
	VPADDD Y4, Y6, Y6
	VPADDD Y10, Y6, Y6
	VPSRLD $2, Y6, Y6
	VPSUBD Y11, Y6, Y6 // cr - 128

	YCC_RGB

	ADDQ $4, R8
	ADDQ $4, R10
	ADDQ $8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ h2v1loop
	VZEROUPPER
	RET

// func yccRGBAVX2(dst, y, cb, cr *uint8, groups int)
TEXT ·yccRGBAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ cb+16(FP), R8
	MOVQ cr+24(FP), R10
	MOVQ groups+32(FP), CX
	LOAD_COLOR_CONSTS

yccloop:
	VPMOVZXBD (R8), Y5
	VPSUBD Y11, Y5, Y5
	VPMOVZXBD (R10), Y6
	VPSUBD Y11, Y6, Y6

	YCC_RGB

	ADDQ $8, R8
	ADDQ $8, R10
	ADDQ $8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ yccloop
	VZEROUPPER
	RET
