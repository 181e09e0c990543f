//go:build amd64 && !purego

package jpeg

import "golang.org/x/sys/cpu"

// h2v2RGBAVX2 (color_amd64.s) is h2v2RowRGB's inner loop for `groups`
// groups of 8 output pixels, 4 chroma columns each: the chroma pointers
// point at column i-1 (it reads columns i-1..i+6 of the group starting at
// i), y at yrow[2i], dst at dst[6i]. Same integer arithmetic as the Go
// loop, so the same bytes (TestH2V2RGBAVX2MatchesGo).
//
//go:noescape
func h2v2RGBAVX2(dst, y, cb0, cb1, cr0, cr1 *uint8, groups int)

// hasAVX2 is checked once; x/sys/cpu also checks that the OS saves YMM.
var hasAVX2 = cpu.X86.HasAVX2

// useAVX2 lets the tests run the Go path on the same machine.
var useAVX2 = hasAVX2
