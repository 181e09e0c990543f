//go:build !amd64 || purego

package jpeg

const hasAVX2 = false

var useAVX2 = false

func h2v2RGBAVX2(dst, y, cb0, cb1, cr0, cr1 *uint8, groups int) {
	panic("jpeg: h2v2RGBAVX2 without AVX2")
}

func h2v1RGBAVX2(dst, y, cb, cr *uint8, groups int) {
	panic("jpeg: h2v1RGBAVX2 without AVX2")
}

func yccRGBAVX2(dst, y, cb, cr *uint8, groups int) {
	panic("jpeg: yccRGBAVX2 without AVX2")
}

func idctAVX2(dst *uint8, stride int, coef *[64]int16, q *[64]uint16) bool { return false }
