package codebook

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Options configure Train.
type Options struct {
	// K: number of centres (1 ≤ K ≤ number of vectors).
	K int
	// MaxIter: Lloyd iterations at most; 0 → 50. Training stops earlier
	// when no assignment changes.
	MaxIter int
	// Seed of the k-means++ seeding (PCG, math/rand/v2). Same data, K and
	// Seed give the same codebook.
	Seed uint64
	// Workers for the assignment steps; 0 → GOMAXPROCS. The result does
	// not depend on it.
	Workers int
}

// Stats describe a Train run.
type Stats struct {
	// Objective[i] is Σ Dist(x, centre of x) in float64 (vector order)
	// after the assignment step of iteration i, against the centres it
	// assigned with; it does not increase (up to float32 rounding of the
	// means).
	Objective []float64
	// Iterations run; Converged: the last one changed no assignment.
	Iterations int
	Converged  bool
}

const chunk = 2048 // vectors per parallel work item; fixed, so results do not depend on Workers

// Train runs k-means over the len(data)/dim vectors of data: k-means++
// seeding (first centre uniform, then D²-weighted, with a PCG generator
// seeded by Options.Seed), then Lloyd iterations. Assignment is Nearest
// (float32 Dist, lowest index on ties), computed in parallel chunks;
// centre updates sum in float64 in vector order and round the mean to
// float32; a centre with no vectors keeps its value. Deterministic for
// any Workers. Errors on bad sizes, non-finite data or ctx cancellation.
func Train(ctx context.Context, data []float32, dim int, opt Options) (*Codebook, *Stats, error) {
	if dim <= 0 || len(data)%dim != 0 {
		return nil, nil, fmt.Errorf("codebook: %d values are not whole vectors of %d", len(data), dim)
	}
	n := len(data) / dim
	if opt.K <= 0 || opt.K > n {
		return nil, nil, fmt.Errorf("codebook: K=%d needs 1 ≤ K ≤ %d vectors", opt.K, n)
	}
	for _, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, errors.New("codebook: non-finite training value")
		}
	}
	if opt.MaxIter <= 0 {
		opt.MaxIter = 50
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	vec := func(i int) []float32 { return data[i*dim : (i+1)*dim] }
	cb := &Codebook{K: opt.K, Dim: dim, Centres: make([]float32, 0, opt.K*dim)}

	// k-means++ seeding.
	rng := rand.New(rand.NewPCG(opt.Seed, 0x746f6b656e666162))
	first := rng.IntN(n)
	cb.Centres = append(cb.Centres, vec(first)...)
	d2 := make([]float64, n)
	err := parallel(ctx, n, opt.Workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d2[i] = float64(Dist(vec(i), vec(first)))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	for k := 1; k < opt.K; k++ {
		var total float64
		for _, d := range d2 {
			total += d
		}
		pick := -1
		if total > 0 {
			r := rng.Float64() * total
			var cum float64
			for i, d := range d2 {
				cum += d
				if d > 0 && cum > r {
					pick = i
					break
				}
			}
			if pick < 0 { // rounding: the last vector with weight
				for i := n - 1; i >= 0; i-- {
					if d2[i] > 0 {
						pick = i
						break
					}
				}
			}
		} else { // fewer distinct vectors than K
			pick = rng.IntN(n)
		}
		c := vec(pick)
		cb.Centres = append(cb.Centres, c...)
		err := parallel(ctx, n, opt.Workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if d := float64(Dist(vec(i), c)); d < d2[i] {
					d2[i] = d
				}
			}
		})
		if err != nil {
			return nil, nil, err
		}
	}

	// Lloyd iterations.
	st := &Stats{}
	assign := make([]int32, n)
	for i := range assign {
		assign[i] = -1
	}
	dist := make([]float32, n)
	var changed atomic.Int64
	sums := make([]float64, opt.K*dim)
	counts := make([]int, opt.K)
	for it := 0; it < opt.MaxIter; it++ {
		changed.Store(0)
		err := parallel(ctx, n, opt.Workers, func(lo, hi int) {
			var ch int64
			for i := lo; i < hi; i++ {
				k, d := cb.Nearest(vec(i))
				if int32(k) != assign[i] {
					assign[i] = int32(k)
					ch++
				}
				dist[i] = d
			}
			changed.Add(ch)
		})
		if err != nil {
			return nil, nil, err
		}
		var obj float64
		for _, d := range dist {
			obj += float64(d)
		}
		st.Objective = append(st.Objective, obj)
		st.Iterations = it + 1
		if changed.Load() == 0 {
			st.Converged = true
			break
		}
		clear(sums)
		clear(counts)
		for i := 0; i < n; i++ {
			k := int(assign[i])
			counts[k]++
			s := sums[k*dim : (k+1)*dim]
			for j, v := range vec(i) {
				s[j] += float64(v)
			}
		}
		for k := 0; k < opt.K; k++ {
			if counts[k] == 0 {
				continue
			}
			for j := 0; j < dim; j++ {
				cb.Centres[k*dim+j] = float32(sums[k*dim+j] / float64(counts[k]))
			}
		}
	}
	return cb, st, nil
}

// parallel runs f over [0, n) in fixed chunks on up to workers goroutines.
func parallel(ctx context.Context, n, workers int, f func(lo, hi int)) error {
	nc := (n + chunk - 1) / chunk
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, nc); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= nc || ctx.Err() != nil {
					return
				}
				f(c*chunk, min(n, (c+1)*chunk))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
