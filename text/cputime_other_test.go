//go:build !linux

package text

import "time"

// cpuTime falls back to wall time where per-thread CPU time is not available.
func cpuTime(f func()) time.Duration { return wallTime(f) }
