//go:build amd64 && !purego

#include "textflag.h"

// func melx4(out *[4]float64, power *[4]float64, w *float64, start *int32, cnt *int32, nMels int)
// For m < nMels: out[m] = Σ_{i<cnt[m]} w[o_m+i]·power[start[m]+i] per lane,
// o_m = cnt[0]+…+cnt[m−1], summed from 0 in ascending i (melBank.apply's order).
TEXT ·melx4(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ power+8(FP), R8
	MOVQ w+16(FP), SI
	MOVQ start+24(FP), R9
	MOVQ cnt+32(FP), R10
	MOVQ nMels+40(FP), R11
	TESTQ R11, R11
	JZ done
mloop:
	VXORPD Y0, Y0, Y0
	MOVLQSX (R9), AX
	SHLQ $5, AX
	LEAQ (R8)(AX*1), BX
	MOVLQSX (R10), CX
	TESTQ CX, CX
	JZ mdone
kloop:
	VBROADCASTSD (SI), Y1
	VMULPD (BX), Y1, Y1
	VADDPD Y1, Y0, Y0
	ADDQ $8, SI
	ADDQ $32, BX
	DECQ CX
	JNZ kloop
mdone:
	VMOVUPD Y0, (DI)
	ADDQ $32, DI
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ R11
	JNZ mloop
done:
	VZEROUPPER
	RET

// func transpose4max(dst *float64, src *[4]float64, n, rowStride int, mx *[4]float64)
// For i < n (a multiple of 4) and f < 4: dst[f·rowStride + i] = src[i][f]
// (rowStride in elements), and mx[f] = max(mx[f], src[i][f]) (VMAXPD:
// NaNs are not propagated).
TEXT ·transpose4max(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ rowStride+24(FP), BX
	MOVQ mx+32(FP), DX
	SHLQ $3, BX
	LEAQ (DI)(BX*1), R8
	LEAQ (R8)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	VMOVUPD (DX), Y8
	SHRQ $2, CX
	JZ tdone
tloop:
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	VMAXPD Y8, Y0, Y8
	VMAXPD Y8, Y1, Y8
	VMAXPD Y8, Y2, Y8
	VMAXPD Y8, Y3, Y8
	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, (R8)
	VMOVUPD Y2, (R9)
	VMOVUPD Y3, (R10)
	ADDQ $128, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	DECQ CX
	JNZ tloop
tdone:
	VMOVUPD Y8, (DX)
	VZEROUPPER
	RET
