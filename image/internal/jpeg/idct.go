package jpeg

// libjpeg's "ISLOW" integer IDCT (jidctint.c, Loeffler-Ligtenberg-Moschytz
// with 13-bit constants): CONST_BITS 13, PASS1_BITS 2, DESCALE rounding by
// adding half, output range-limited through a 1024-entry table indexed by the
// descaled value masked with 1023, exactly as jidctint.c does. libjpeg-turbo's
// SIMD versions give the same samples for every block whose dequantized
// coefficients fit in 16 bits (all blocks of files from real encoders).

const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// idctLimit is libjpeg's post-IDCT range-limit table (jdmaster.c
// prepare_range_limit_table, seen from IDCT_range_limit = sample_range_limit
// + CENTERJSAMPLE), indexed by v & 1023: [0, 127] → v+128, [128, 511] → 255,
// [512, 895] (v in [-512, -129]) → 0, [896, 1023] (v in [-128, -1]) → v+128.
// So |v| ≤ 512 clamps and larger values wrap, as in libjpeg's C code.
var idctLimit = func() (t [1024]uint8) {
	for i := range t {
		switch {
		case i < 128:
			t[i] = uint8(i + 128)
		case i < 512:
			t[i] = 255
		case i < 896:
			t[i] = 0
		default:
			t[i] = uint8(i - 896)
		}
	}
	return
}()

// idctBlock dequantizes coef (natural order) with q and writes the 8×8
// samples to dst[0:], dst[stride:], ... .
func idctBlock(dst []uint8, stride int, coef *[64]int16, q *[64]uint16) {
	if useAVX2 {
		_ = dst[7*stride+7]
		if idctAVX2(&dst[0], stride, coef, q) {
			return
		}
	}
	idctBlockGo(dst, stride, coef, q)
}

// idctBlockGo is idctBlock in Go (the path without AVX2, and the reference
// the assembly is tested against).
func idctBlockGo(dst []uint8, stride int, coef *[64]int16, q *[64]uint16) {
	var ws [64]int32
	for c := 0; c < 8; c++ {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			dc := (int32(coef[c]) * int32(q[c])) << pass1Bits
			ws[c], ws[8+c], ws[16+c], ws[24+c] = dc, dc, dc, dc
			ws[32+c], ws[40+c], ws[48+c], ws[56+c] = dc, dc, dc, dc
			continue
		}
		// even part
		z2 := int(int32(coef[16+c]) * int32(q[16+c]))
		z3 := int(int32(coef[48+c]) * int32(q[48+c]))
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 - z3*fix1_847759065
		tmp3 := z1 + z2*fix0_765366865
		z2 = int(int32(coef[c]) * int32(q[c]))
		z3 = int(int32(coef[32+c]) * int32(q[32+c]))
		tmp0 := (z2 + z3) << constBits
		tmp1 := (z2 - z3) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		// odd part
		tmp0 = int(int32(coef[56+c]) * int32(q[56+c]))
		tmp1 = int(int32(coef[40+c]) * int32(q[40+c]))
		tmp2 = int(int32(coef[24+c]) * int32(q[24+c]))
		tmp3 = int(int32(coef[8+c]) * int32(q[8+c]))
		z1 = tmp0 + tmp3
		z2 = tmp1 + tmp2
		z3 = tmp0 + tmp2
		z4 := tmp1 + tmp3
		z5 := (z3 + z4) * fix1_175875602
		tmp0 *= fix0_298631336
		tmp1 *= fix2_053119869
		tmp2 *= fix3_072711026
		tmp3 *= fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		tmp0 += z1 + z3
		tmp1 += z2 + z4
		tmp2 += z2 + z3
		tmp3 += z1 + z4
		const sh, rnd = constBits - pass1Bits, 1 << (constBits - pass1Bits - 1)
		ws[c] = int32((tmp10 + tmp3 + rnd) >> sh)
		ws[56+c] = int32((tmp10 - tmp3 + rnd) >> sh)
		ws[8+c] = int32((tmp11 + tmp2 + rnd) >> sh)
		ws[48+c] = int32((tmp11 - tmp2 + rnd) >> sh)
		ws[16+c] = int32((tmp12 + tmp1 + rnd) >> sh)
		ws[40+c] = int32((tmp12 - tmp1 + rnd) >> sh)
		ws[24+c] = int32((tmp13 + tmp0 + rnd) >> sh)
		ws[32+c] = int32((tmp13 - tmp0 + rnd) >> sh)
	}
	for r := 0; r < 8; r++ {
		w := (*[8]int32)(ws[r*8:])
		out := (*[8]uint8)(dst[r*stride:])
		const sh, rnd = constBits + pass1Bits + 3, 1 << (constBits + pass1Bits + 3 - 1)
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := idctLimit[((int(w[0])+(1<<(pass1Bits+2)))>>(pass1Bits+3))&1023]
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = v, v, v, v, v, v, v, v
			continue
		}
		z2 := int(w[2])
		z3 := int(w[6])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 - z3*fix1_847759065
		tmp3 := z1 + z2*fix0_765366865
		tmp0 := (int(w[0]) + int(w[4])) << constBits
		tmp1 := (int(w[0]) - int(w[4])) << constBits
		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		tmp0 = int(w[7])
		tmp1 = int(w[5])
		tmp2 = int(w[3])
		tmp3 = int(w[1])
		z1 = tmp0 + tmp3
		z2 = tmp1 + tmp2
		z3 = tmp0 + tmp2
		z4 := tmp1 + tmp3
		z5 := (z3 + z4) * fix1_175875602
		tmp0 *= fix0_298631336
		tmp1 *= fix2_053119869
		tmp2 *= fix3_072711026
		tmp3 *= fix1_501321110
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		z3 = z3*-fix1_961570560 + z5
		z4 = z4*-fix0_390180644 + z5
		tmp0 += z1 + z3
		tmp1 += z2 + z4
		tmp2 += z2 + z3
		tmp3 += z1 + z4
		out[0] = idctLimit[((tmp10+tmp3+rnd)>>sh)&1023]
		out[7] = idctLimit[((tmp10-tmp3+rnd)>>sh)&1023]
		out[1] = idctLimit[((tmp11+tmp2+rnd)>>sh)&1023]
		out[6] = idctLimit[((tmp11-tmp2+rnd)>>sh)&1023]
		out[2] = idctLimit[((tmp12+tmp1+rnd)>>sh)&1023]
		out[5] = idctLimit[((tmp12-tmp1+rnd)>>sh)&1023]
		out[3] = idctLimit[((tmp13+tmp0+rnd)>>sh)&1023]
		out[4] = idctLimit[((tmp13-tmp0+rnd)>>sh)&1023]
	}
}

// idctDC is idctBlock for a block whose AC coefficients are all zero: both
// passes take libjpeg's zero shortcuts, so every sample is
// range_limit[DESCALE(dc·q << PASS1_BITS, PASS1_BITS+3)].
func idctDC(dst []uint8, stride int, dc int16, q uint16) {
	w := (int32(dc) * int32(q)) << pass1Bits
	v := idctLimit[((int(w)+(1<<(pass1Bits+2)))>>(pass1Bits+3))&1023]
	for r := 0; r < 8; r++ {
		out := (*[8]uint8)(dst[r*stride:])
		out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = v, v, v, v, v, v, v, v
	}
}
