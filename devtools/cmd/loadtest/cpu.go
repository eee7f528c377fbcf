package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuSample is CPU time spent so far, in clock ticks (USER_HZ, 100 a
// second on Linux): by one process and by the whole machine. Divided by
// the requests served between two samples it says what a request costs,
// which moves far less from run to run than req/s on a shared machine.
type cpuSample struct{ process, machine int64 }

const ticksPerSecond = 100

func sampleCPU(pid int) cpuSample {
	var s cpuSample
	if raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && pid > 0 {
		// The fields after the command, which is in parentheses and may hold spaces.
		if i := strings.LastIndexByte(string(raw), ')'); i >= 0 {
			f := strings.Fields(string(raw[i+1:]))
			if len(f) > 12 {
				utime, _ := strconv.ParseInt(f[11], 10, 64)
				stime, _ := strconv.ParseInt(f[12], 10, 64)
				s.process = utime + stime
			}
		}
	}
	if raw, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(raw), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
		for i, v := range f[1:] {
			if i == 3 || i == 4 { // idle, iowait
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			s.machine += n
		}
	}
	return s
}

// perRequest is the CPU microseconds per request between two samples.
func (s cpuSample) perRequest(before cpuSample, requests float64) (process, machine float64) {
	if requests <= 0 {
		return 0, 0
	}
	us := 1e6 / ticksPerSecond / requests
	return float64(s.process-before.process) * us, float64(s.machine-before.machine) * us
}
