// Command jpeg_sampling writes small baseline JPEGs with every kind of
// sampling-factor combination libjpeg accepts (fixtures/image/jpeg_sampling),
// for the golden test of image/internal/jpeg: Pillow cannot write them (it
// only encodes 4:4:4, 4:2:2 and 4:2:0). Run through
// scripts/golden/jpeg_sampling.sh, which then has Pillow decode each file.
//
// The encoder is deliberately simple (float DCT, flat 8-bit Huffman codes
// for the symbols used); only the files matter, and they are plain valid
// JPEGs that libjpeg-turbo decodes.
package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
)

type comp struct {
	id   byte
	h, v int
}

type spec struct {
	name    string
	w, h    int
	comps   []comp
	ri      int  // restart interval in MCUs
	sepScan bool // one scan per component
	jfif    bool
	adobe   int // -1: none; else the APP14 transform
	quality int
}

var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

func y3(id byte, h, v int) comp { return comp{id, h, v} }

func specs() []spec {
	std := func(name string, w, h int, y, cb, cr [2]int) spec {
		return spec{name: name, w: w, h: h, jfif: true, adobe: -1, quality: 2,
			comps: []comp{y3(1, y[0], y[1]), y3(2, cb[0], cb[1]), y3(3, cr[0], cr[1])}}
	}
	s := []spec{
		std("s444", 45, 37, [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}),
		std("s422_h2v1", 45, 37, [2]int{2, 1}, [2]int{1, 1}, [2]int{1, 1}),
		std("s440_h1v2", 45, 37, [2]int{1, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s420_h2v2", 45, 37, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s411_h4v1", 45, 37, [2]int{4, 1}, [2]int{1, 1}, [2]int{1, 1}),
		std("s410_h4v2", 45, 37, [2]int{4, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s_h3v1", 45, 37, [2]int{3, 1}, [2]int{1, 1}, [2]int{1, 1}),
		std("s_h1v4", 45, 37, [2]int{1, 4}, [2]int{1, 1}, [2]int{1, 1}),
		std("s_h3v3", 45, 37, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}),
		std("s_y24_c12", 45, 37, [2]int{2, 4}, [2]int{1, 2}, [2]int{1, 2}),
		std("s_y42_c21", 45, 37, [2]int{4, 2}, [2]int{2, 1}, [2]int{2, 1}),
		std("s_y22_c12", 45, 37, [2]int{2, 2}, [2]int{1, 2}, [2]int{1, 2}),
		std("s_y22_c21", 45, 37, [2]int{2, 2}, [2]int{2, 1}, [2]int{2, 1}),
		std("s_mixed_cb11_cr22", 45, 37, [2]int{2, 2}, [2]int{1, 1}, [2]int{2, 2}),
		std("s_luma_sub_y11_c22", 45, 37, [2]int{1, 1}, [2]int{2, 2}, [2]int{2, 2}),
		std("s_y44_c22", 45, 37, [2]int{4, 4}, [2]int{2, 2}, [2]int{2, 2}),
		// fancy filters switch off for chroma ≤ 2 samples wide
		std("s420_w3", 3, 5, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s420_w4", 4, 6, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s420_w5_h1", 5, 1, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s422_w2", 2, 9, [2]int{2, 1}, [2]int{1, 1}, [2]int{1, 1}),
		std("s440_w1", 1, 9, [2]int{1, 2}, [2]int{1, 1}, [2]int{1, 1}),
		std("s420_1x1", 1, 1, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}),
	}
	r := std("s420_restart3", 45, 37, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1})
	r.ri = 3
	s = append(s, r)
	n := std("s420_noninterleaved", 45, 37, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1})
	n.sepScan = true
	n.ri = 5
	s = append(s, n)
	q := std("s420_fine_q1", 45, 37, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1})
	q.quality = 0 // all quantizers 1: large coefficients, clipping in the IDCT
	s = append(s, q)
	s = append(s,
		spec{name: "gray_h2v2", w: 45, h: 37, adobe: -1, quality: 2, comps: []comp{{1, 2, 2}}},
		spec{name: "rgb_adobe0", w: 45, h: 37, adobe: 0, quality: 2, comps: []comp{{'R', 1, 1}, {'G', 1, 1}, {'B', 1, 1}}},
		spec{name: "rgb_ids_nomarker", w: 45, h: 37, adobe: -1, quality: 2, comps: []comp{{'R', 1, 1}, {'G', 1, 1}, {'B', 1, 1}}},
		spec{name: "ycc_ids_nomarker_420", w: 45, h: 37, adobe: -1, quality: 2, comps: []comp{{1, 2, 2}, {2, 1, 1}, {3, 1, 1}}},
		spec{name: "cmyk_adobe0", w: 45, h: 37, adobe: 0, quality: 2, comps: []comp{{'C', 1, 1}, {'M', 1, 1}, {'Y', 1, 1}, {'K', 1, 1}}},
		spec{name: "ycck_adobe2_420", w: 45, h: 37, adobe: 2, quality: 2, comps: []comp{{1, 2, 2}, {2, 1, 1}, {3, 1, 1}, {4, 2, 2}}},
		spec{name: "cmyk_nomarker", w: 45, h: 37, adobe: -1, quality: 2, comps: []comp{{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 1}}},
	)
	return s
}

// sample is a deterministic test pattern with smooth ramps, sharp edges
// and noise, different per component.
func sample(rng *rand.Rand, x, y, c, w, h int) float64 {
	v := 128 + 90*math.Sin(float64(x*(c+2))/7+float64(y)/5+float64(c))
	if (x/5+y/4+c)%3 == 0 {
		v = 255 - v
	}
	if x > w/2 && c%2 == 1 {
		v = 20
	}
	v += float64(rng.IntN(21) - 10)
	return math.Max(0, math.Min(255, v))
}

type bitWriter struct {
	b    bytes.Buffer
	acc  uint32
	nacc uint
}

func (w *bitWriter) put(code uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (code>>uint(i))&1
		w.nacc++
		if w.nacc == 8 {
			w.b.WriteByte(byte(w.acc))
			if byte(w.acc) == 0xFF {
				w.b.WriteByte(0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put(1, 1)
	}
}

type huff struct {
	code map[byte]uint32
	syms []byte
}

// flat assigns 8-bit codes to the used symbols (at most 255, so no
// all-ones code).
func flat(used map[byte]bool) *huff {
	h := &huff{code: map[byte]uint32{}}
	for s := range used {
		h.syms = append(h.syms, s)
	}
	sort.Slice(h.syms, func(i, j int) bool { return h.syms[i] < h.syms[j] })
	for i, s := range h.syms {
		h.code[s] = uint32(i)
	}
	return h
}

func bitsize(v int) int {
	if v < 0 {
		v = -v
	}
	n := 0
	for v > 0 {
		n++
		v >>= 1
	}
	return n
}

func encode(s spec) []byte {
	rng := rand.New(rand.NewPCG(uint64(len(s.name)), 7))
	hmax, vmax := 1, 1
	for _, c := range s.comps {
		hmax, vmax = max(hmax, c.h), max(vmax, c.v)
	}
	mcusX := (s.w + 8*hmax - 1) / (8 * hmax)
	mcusY := (s.h + 8*vmax - 1) / (8 * vmax)
	var q [64]int
	for i := range q {
		switch s.quality {
		case 0:
			q[i] = 1
		default:
			q[i] = 2 + i/4
		}
	}
	// quantized blocks per component, MCU-padded grid
	type cblocks struct {
		bw, bh, rbw, rbh int
		blk              [][64]int
	}
	cbs := make([]cblocks, len(s.comps))
	for ci, c := range s.comps {
		cw := (s.w*c.h + hmax - 1) / hmax
		ch := (s.h*c.v + vmax - 1) / vmax
		bw, bh := mcusX*c.h, mcusY*c.v
		plane := make([]float64, bw*8*bh*8)
		for y := 0; y < bh*8; y++ {
			for x := 0; x < bw*8; x++ {
				// replicate edges into the padding, as encoders do
				plane[y*bw*8+x] = sample(rng, min(x, cw-1), min(y, ch-1), ci, cw, ch)
			}
		}
		cb := cblocks{bw: bw, bh: bh, rbw: (cw + 7) / 8, rbh: (ch + 7) / 8, blk: make([][64]int, bw*bh)}
		for by := 0; by < bh; by++ {
			for bx := 0; bx < bw; bx++ {
				var out [64]int
				for v := 0; v < 8; v++ {
					for u := 0; u < 8; u++ {
						sum := 0.0
						for y := 0; y < 8; y++ {
							for x := 0; x < 8; x++ {
								p := plane[(by*8+y)*bw*8+bx*8+x] - 128
								sum += p * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
							}
						}
						cu, cv := 1.0, 1.0
						if u == 0 {
							cu = 1 / math.Sqrt2
						}
						if v == 0 {
							cv = 1 / math.Sqrt2
						}
						out[v*8+u] = int(math.Round(sum * cu * cv / 4 / float64(q[v*8+u])))
					}
				}
				cb.blk[by*bw+bx] = out
			}
		}
		cbs[ci] = cb
	}
	// scans: all components interleaved unless sepScan, one component, or
	// more than 10 blocks per MCU
	blocks := 0
	for _, c := range s.comps {
		blocks += c.h * c.v
	}
	var scans [][]int
	if s.sepScan || len(s.comps) == 1 || blocks > 10 {
		for ci := range s.comps {
			scans = append(scans, []int{ci})
		}
	} else {
		all := []int{}
		for ci := range s.comps {
			all = append(all, ci)
		}
		scans = [][]int{all}
	}
	// visit every block of a scan in order: f(ci, block)
	visit := func(sc []int, mcu func(), f func(ci int, b *[64]int)) {
		if len(sc) == 1 {
			cb := &cbs[sc[0]]
			for by := 0; by < cb.rbh; by++ {
				for bx := 0; bx < cb.rbw; bx++ {
					mcu()
					f(sc[0], &cb.blk[by*cb.bw+bx])
				}
			}
			return
		}
		for my := 0; my < mcusY; my++ {
			for mx := 0; mx < mcusX; mx++ {
				mcu()
				for _, ci := range sc {
					c, cb := s.comps[ci], &cbs[ci]
					for v := 0; v < c.v; v++ {
						for u := 0; u < c.h; u++ {
							f(ci, &cb.blk[(my*c.v+v)*cb.bw+mx*c.h+u])
						}
					}
				}
			}
		}
	}
	// pass 1: symbols used (one DC and one AC table for everything)
	dcUsed, acUsed := map[byte]bool{}, map[byte]bool{}
	var symbols func(sc []int, emit func(dc bool, sym byte, bits int, n int))
	symbols = func(sc []int, emit func(dc bool, sym byte, bits int, n int)) {
		pred := map[int]int{}
		count := 0
		visit(sc, func() {
			if s.ri > 0 && count > 0 && count%s.ri == 0 {
				emit(false, 0, count/s.ri-1, -1) // restart marker (n = -1)
				pred = map[int]int{}
			}
			count++
		}, func(ci int, b *[64]int) {
			diff := b[0] - pred[ci]
			pred[ci] = b[0]
			n := bitsize(diff)
			emit(true, byte(n), diff, n)
			run := 0
			for k := 1; k < 64; k++ {
				v := b[zigzag[k]]
				if v == 0 {
					run++
					continue
				}
				for run > 15 {
					emit(false, 0xF0, 0, 0)
					run -= 16
				}
				n := bitsize(v)
				emit(false, byte(run<<4|n), v, n)
				run = 0
			}
			if run > 0 {
				emit(false, 0, 0, 0)
			}
		})
	}
	for _, sc := range scans {
		symbols(sc, func(dc bool, sym byte, bits int, n int) {
			if n == -1 {
				return
			}
			if dc {
				dcUsed[sym] = true
			} else {
				acUsed[sym] = true
			}
		})
	}
	dcH, acH := flat(dcUsed), flat(acUsed)
	var out bytes.Buffer
	seg := func(m byte, p []byte) {
		out.Write([]byte{0xFF, m, byte((len(p) + 2) >> 8), byte(len(p) + 2)})
		out.Write(p)
	}
	out.Write([]byte{0xFF, 0xD8})
	if s.jfif {
		seg(0xE0, []byte{'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0})
	}
	if s.adobe >= 0 {
		seg(0xEE, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(s.adobe)})
	}
	dqt := []byte{0}
	for k := 0; k < 64; k++ {
		dqt = append(dqt, byte(q[zigzag[k]]))
	}
	seg(0xDB, dqt)
	sof := []byte{8, byte(s.h >> 8), byte(s.h), byte(s.w >> 8), byte(s.w), byte(len(s.comps))}
	for _, c := range s.comps {
		sof = append(sof, c.id, byte(c.h<<4|c.v), 0)
	}
	seg(0xC0, sof)
	dht := func(class byte, h *huff) {
		p := []byte{class << 4}
		var counts [16]byte
		counts[7] = byte(len(h.syms))
		p = append(p, counts[:]...)
		p = append(p, h.syms...)
		seg(0xC4, p)
	}
	dht(0, dcH)
	dht(1, acH)
	if s.ri > 0 {
		seg(0xDD, []byte{byte(s.ri >> 8), byte(s.ri)})
	}
	for _, sc := range scans {
		sos := []byte{byte(len(sc))}
		for _, ci := range sc {
			sos = append(sos, s.comps[ci].id, 0x00)
		}
		sos = append(sos, 0, 63, 0)
		seg(0xDA, sos)
		bw := &bitWriter{}
		symbols(sc, func(dc bool, sym byte, bits int, n int) {
			if n == -1 {
				bw.flush()
				bw.b.Write([]byte{0xFF, byte(0xD0 + bits%8)})
				return
			}
			if dc {
				bw.put(dcH.code[sym], 8)
			} else {
				bw.put(acH.code[sym], 8)
			}
			if n > 0 {
				if bits < 0 {
					bits += 1<<n - 1
				}
				bw.put(uint32(bits), uint(n))
			}
		})
		bw.flush()
		out.Write(bw.b.Bytes())
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

func main() {
	dir := "fixtures/image/jpeg_sampling"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	for _, s := range specs() {
		p := filepath.Join(dir, s.name+".jpg")
		if err := os.WriteFile(p, encode(s), 0o644); err != nil {
			panic(err)
		}
		fmt.Println(p)
	}
}
