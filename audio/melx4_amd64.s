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
