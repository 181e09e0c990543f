package image

import "sync"

// scratch recycles large byte buffers between calls (the decoded RGB image
// and the resizer's intermediate), which otherwise cost a clear and GC work
// per image. Contents of a recycled buffer are arbitrary: only buffers that
// are written in full may come from here.
var scratch sync.Pool // of *[]uint8

const maxScratch = 64 << 20 // larger buffers are left to the GC

func getBytes(n int) []uint8 {
	if p, _ := scratch.Get().(*[]uint8); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint8, n)
}

// putBytes hands b back; the caller must not use it afterwards.
func putBytes(b []uint8) {
	if cap(b) == 0 || cap(b) > maxScratch {
		return
	}
	b = b[:0]
	scratch.Put(&b)
}
