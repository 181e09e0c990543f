package jpeg

import "sync"

// Sample planes and progressive coefficient buffers are recycled between
// images: they are large (≈ 1.5 and 3 bytes per pixel) and short-lived.
var planes, coefs sync.Pool

const maxPooled = 64 << 20

func getPlane(n int) []uint8 {
	if p, _ := planes.Get().(*[]uint8); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint8, n)
}

func putPlane(b []uint8) {
	if cap(b) == 0 || cap(b) > maxPooled {
		return
	}
	planes.Put(&b)
}

// getCoefs returns n zeroed coefficients.
func getCoefs(n int) []int16 {
	if p, _ := coefs.Get().(*[]int16); p != nil && cap(*p) >= n {
		b := (*p)[:n]
		clear(b)
		return b
	}
	return make([]int16, n)
}

func putCoefs(b []int16) {
	if cap(b) == 0 || 2*cap(b) > maxPooled {
		return
	}
	coefs.Put(&b)
}
