package video

import (
	"math"
)

// Sampling policies (Config.Sampling). Index policies choose frame indices
// 0..N−1 of the (windowed) frame list in presentation order; "fps" chooses
// by true presentation timestamps.
const (
	// SampleHFQwen2VL is transformers Qwen2VLVideoProcessor.sample_frames:
	// with NumFrames: n = round(NumFrames/2)·2 (Python round, half to even);
	// else n = floor(min(max(N/avg_fps·FPS, MinFrames), floor(min(MaxFrames,N)/2)·2, N)/2)·2;
	// indices = torch.arange(0, N, N/n, dtype float32).int().
	SampleHFQwen2VL = "hf-qwen2-vl"
	// SampleQwenVLUtils is qwen-vl-utils 0.0.14 smart_nframes +
	// torch.linspace(0, N−1, n).round().long().
	SampleQwenVLUtils = "qwen-vl-utils"
	// SampleLLaVAVideo is the LLaVA-Video/OneVision load_video: step =
	// round(avg_fps/FPS) (FPS default 1), indices range(0, N, step); if more
	// than NumFrames (default 32) or ForceSample:
	// np.linspace(0, N−1, NumFrames, dtype=int) (truncation).
	SampleLLaVAVideo = "llava-video"
	// SampleUniform is transformers default_sample_indices_fn with
	// num_frames: indices = i·N // n (exact integers), n = NumFrames.
	SampleUniform = "uniform"
	// SampleFPS samples on true timestamps: ticks t0 + k/FPS (t0 = first
	// frame's pts) for every tick before the end of the last frame; each
	// tick takes the frame on screen then (the last frame with pts ≤ tick,
	// like torchcodec get_frames_played_at). VFR-safe: ticks are uniform
	// in time whatever the frame spacing. A frame repeats if FPS exceeds
	// the local frame rate.
	SampleFPS = "fps"
	// SampleAll takes every frame.
	SampleAll = "all"
)

// samplingParams are the resolved policy parameters.
type samplingParams struct {
	policy              string
	numFrames           int     // 0 = use fps
	fps                 float64 // target fps
	minFrames, maxFrame int
	forceSample         bool
	factor              int // frame factor (temporal patch size) for Qwen policies
}

// pyRound is Python 3 round(): half to even.
func pyRound(x float64) float64 { return math.RoundToEven(x) }

// hfQwenCount is the frame count of Qwen2VLVideoProcessor.sample_frames.
func hfQwenCount(N int, avgFPS float64, p samplingParams) (int, error) {
	f := p.factor
	var n float64
	if p.numFrames > 0 {
		n = pyRound(float64(p.numFrames)/float64(f)) * float64(f)
	} else {
		if avgFPS <= 0 {
			return 0, errorf(ErrNoFrames, "fps sampling needs the source frame rate (avg_frame_rate is unknown)")
		}
		maxF := math.Floor(math.Min(float64(p.maxFrame), float64(N))/float64(f)) * float64(f)
		n = float64(N) / avgFPS * p.fps
		n = math.Min(math.Min(math.Max(n, float64(p.minFrames)), maxF), float64(N))
		n = math.Floor(n/float64(f)) * float64(f)
	}
	if int(n) > N {
		return 0, errorf(ErrNoFrames, "HF Qwen2-VL sampling: num_frames=%d exceeds total_num_frames=%d", int(n), N)
	}
	if n <= 0 {
		return 0, errorf(ErrNoFrames, "HF Qwen2-VL sampling gives 0 frames for %d frames (HF would fail: arange step 1/0)", N)
	}
	return int(n), nil
}

// torchArangeFloat32 emulates torch.arange(0, end, step) (default dtype
// float32) on a CPU with AVX2 (8 floats per vector): the size is
// ceil(end/step) in double; the scalar path computes float32(start +
// step·i) in double (acc type), the vectorized path computes
// float32(start + step·i0) + j·float32(step) in float32 for each full
// vector of 8, the remainder is scalar. Then .int() truncates toward zero.
func torchArangeFloat32Int(end, step float64) []int {
	size := int(math.Ceil(end / step))
	out := make([]int, size)
	const vec = 8
	i := 0
	for ; i+vec <= size; i += vec {
		base := float32(step * float64(i))
		st := float32(step)
		for j := 0; j < vec; j++ {
			v := float32(base + float32(float32(j)*st))
			out[i+j] = int(v)
		}
	}
	for ; i < size; i++ {
		out[i] = int(float32(step * float64(i)))
	}
	return out
}

// fma32 is a fused multiply-add in float32 with one rounding: torch's CPU
// kernels for AVX2 are compiled with -mfma and GCC's default
// -ffp-contract=fast, so `start + step*idx` becomes one FMA. The float64
// product of two float32 is exact and, for the magnitudes here (< 2^24
// frames), so is the float64 sum, leaving a single rounding to float32.
func fma32(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }

// torchLinspaceFloat32 emulates torch.linspace(start, end, steps) (float32,
// CPU, torch 2.8): step = float32(end − start) / float32(steps − 1); index
// idx < steps/2 gives start + step·idx, else end − step·(steps−idx−1),
// scalar code (torch removed the vectorized path), each a fused
// multiply-add (one rounding; see fma32). Verified against torch on 6480
// golden cases and on random (N, n) pairs.
func torchLinspaceFloat32(start, end float32, steps int) []float32 {
	out := make([]float32, steps)
	if steps == 1 {
		out[0] = start
		return out
	}
	step := float32(float32(end-start) / float32(steps-1))
	half := steps / 2
	for idx := range out {
		if idx < half {
			out[idx] = fma32(step, float32(idx), start)
		} else {
			out[idx] = fma32(-step, float32(steps-idx-1), end)
		}
	}
	return out
}

// qwenUtilsCount is qwen-vl-utils 0.0.14 smart_nframes.
func qwenUtilsCount(N int, avgFPS float64, p samplingParams) (int, error) {
	f := float64(p.factor)
	var n float64
	if p.numFrames > 0 {
		n = pyRound(float64(p.numFrames)/f) * f
	} else {
		if avgFPS <= 0 {
			return 0, errorf(ErrNoFrames, "fps sampling needs the source frame rate (avg_frame_rate is unknown)")
		}
		minF := math.Ceil(float64(p.minFrames)/f) * f
		maxF := math.Floor(math.Min(float64(p.maxFrame), float64(N))/f) * f
		n = float64(N) / avgFPS * p.fps
		n = math.Min(math.Min(math.Max(n, minF), maxF), float64(N))
		n = math.Floor(n/f) * f
	}
	if !(f <= n && n <= float64(N)) {
		return 0, errorf(ErrNoFrames, "qwen-vl-utils: nframes should be in [%d, %d], got %v", p.factor, N, n)
	}
	return int(n), nil
}

// SampleIndices returns the frame indices (0..N−1, presentation order) an
// index policy picks from N frames whose average rate is avgFPS (frames per
// second, ffprobe avg_frame_rate). policy is one of SampleHFQwen2VL,
// SampleQwenVLUtils, SampleLLaVAVideo, SampleUniform, SampleAll; numFrames
// (0 = use fps), fps, minFrames, maxFrames and forceSample are that policy's
// parameters as documented on the constants; factor is the frame factor (2
// for Qwen). Indices can repeat only where the reference repeats them.
// Errors: ErrNoFrames (N = 0, a count the reference refuses), ErrConfig
// (unknown policy).
func SampleIndices(policy string, N int, avgFPS float64, numFrames int, fps float64, minFrames, maxFrames int, forceSample bool, factor int) ([]int, error) {
	return sampleIndices(N, avgFPS, samplingParams{policy: policy, numFrames: numFrames, fps: fps, minFrames: minFrames,
		maxFrame: maxFrames, forceSample: forceSample, factor: max(1, factor)})
}

func sampleIndices(N int, avgFPS float64, p samplingParams) ([]int, error) {
	if N <= 0 {
		return nil, errorf(ErrNoFrames, "the video (window) has no frames")
	}
	switch p.policy {
	case SampleAll:
		idx := make([]int, N)
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	case SampleUniform:
		n := p.numFrames
		if n <= 0 {
			if avgFPS <= 0 || p.fps <= 0 {
				return nil, errorf(ErrConfig, "uniform sampling needs NumFrames (or FPS with a known source rate)")
			}
			n = max(1, int(float64(N)/avgFPS*p.fps))
		}
		if n > N {
			return nil, errorf(ErrNoFrames, "uniform: num_frames=%d exceeds total_num_frames=%d", n, N)
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i * N / n
		}
		return idx, nil
	case SampleHFQwen2VL:
		n, err := hfQwenCount(N, avgFPS, p)
		if err != nil {
			return nil, err
		}
		return torchArangeFloat32Int(float64(N), float64(N)/float64(n)), nil
	case SampleQwenVLUtils:
		n, err := qwenUtilsCount(N, avgFPS, p)
		if err != nil {
			return nil, err
		}
		ls := torchLinspaceFloat32(0, float32(N-1), n)
		idx := make([]int, n)
		for i, v := range ls {
			idx[i] = int(math.RoundToEven(float64(v)))
		}
		return idx, nil
	case SampleLLaVAVideo:
		fps := p.fps
		if fps <= 0 {
			fps = 1
		}
		maxN := p.numFrames
		if maxN <= 0 {
			maxN = 32
		}
		step := int(pyRound(avgFPS / fps))
		var idx []int
		if step >= 1 {
			for i := 0; i < N; i += step {
				idx = append(idx, i)
			}
		}
		if len(idx) > maxN || p.forceSample || step < 1 {
			// np.linspace(0, N-1, maxN, dtype=int): float64 i*step + 0, last = stop, truncated.
			idx = make([]int, maxN)
			if maxN == 1 {
				idx[0] = 0
				break
			}
			st := float64(N-1) / float64(maxN-1)
			for i := range idx {
				idx[i] = int(float64(i) * st)
			}
			idx[maxN-1] = N - 1
		}
		return idx, nil
	default:
		return nil, errorf(ErrConfig, "unknown sampling policy %q", p.policy)
	}
	return nil, nil
}
