// Copyright 2017 Hajime Hoshi
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.
//
// Modified by tokenfab: import paths, and the changes marked "tokenfab"
// (listed in the package doc of audio/internal/mp3 and docs/dependencies.md).

// Package mp3 is github.com/hajimehoshi/go-mp3 v0.3.4 (Apache-2.0, see
// LICENSE and AUTHORS) changed by tokenfab; each change is marked
// "tokenfab" in the code:
//
//   - float32 output: Frame.Decode appends the synthesis filter bank's
//     output as is (full scale ±1, unclipped), where upstream truncates
//     sum·32767 to int16 (a gain of 32767/32768 and up to 3e-5 of error
//     per sample against ffmpeg's float decoder);
//   - DecodeAll decodes a whole stream; Seek and Length (which pre-scanned
//     the input) are dropped;
//   - the antialias, intensity-stereo and synthesis-window constants come
//     from their definitions instead of 6- or 9-decimal literals;
//   - speed: 2^(x/4) by table instead of math.Pow per sample; the
//     synthesis matrix product uses its row symmetries and its V vector is
//     a ring fused with the windowing; the IMDCT computes half its outputs
//     by symmetry into the caller's array;
//   - keyed struct literals (go vet).
//
// docs/dependencies.md records why and what it measured.
package mp3

import (
	"io"

	"github.com/tokenfab/tokenfab/audio/internal/mp3/internal/consts"
	"github.com/tokenfab/tokenfab/audio/internal/mp3/internal/frame"
)

// DecodeAll decodes every layer III frame of r and returns interleaved
// stereo float32 samples (mono duplicated into both channels), full scale
// ±1, and the sample rate of the first frame. A stream that ends inside a
// frame returns the frames before it (as upstream's Read); a bad frame
// returns the samples before it and its error; no frame at all is io.EOF.
// sizeHint is the number of float32 values to preallocate (0: none).
func DecodeAll(r io.Reader, sizeHint int) (samples []float32, sampleRate int, err error) {
	s := &source{reader: r}
	if err := s.skipTags(); err != nil {
		return nil, 0, err
	}
	out := make([]float32, 0, sizeHint)
	var f *frame.Frame
	for {
		f, _, err = frame.Read(s, s.pos, f)
		if err != nil {
			// As upstream: a stream ending inside a frame ends the
			// stream (the caller checks the length against the Xing tag).
			if _, ok := err.(*consts.UnexpectedEOF); ok || err == io.EOF {
				err = nil
			}
			if sampleRate == 0 && err == nil {
				err = io.EOF // not one frame
			}
			return out, sampleRate, err
		}
		if sampleRate == 0 {
			if sampleRate, err = f.SamplingFrequency(); err != nil {
				return nil, 0, err
			}
		}
		out = f.Decode(out)
	}
}
