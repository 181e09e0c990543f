package text

import (
	"runtime"
	"syscall"
	"time"
)

// cpuTime runs f on a locked OS thread and returns the CPU time that thread
// spent, so a time bound checks the algorithm's cost rather than how busy the
// shared machine is (wall time under load average 8 on 2 cores is
// meaningless).
func cpuTime(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const rusageThread = 1 // RUSAGE_THREAD
	var a, b syscall.Rusage
	if syscall.Getrusage(rusageThread, &a) != nil {
		return wallTime(f)
	}
	f()
	if syscall.Getrusage(rusageThread, &b) != nil {
		return wallTime(f)
	}
	return time.Duration(b.Utime.Nano()+b.Stime.Nano()-a.Utime.Nano()-a.Stime.Nano()) * time.Nanosecond
}
