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
type cpuSample struct{ process, database, machine, syscalls int64 }

const ticksPerSecond = 100

func sampleCPU(pid int) cpuSample {
	var s cpuSample
	if pid > 0 {
		s.process, _ = processCPU(strconv.Itoa(pid))
		s.syscalls = processSyscalls(strconv.Itoa(pid))
	}
	// PostgreSQL's processes: its backends come and go with connections,
	// but the pools keep theirs open while measured.
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if ticks, comm := processCPU(p.Name()); comm == "postgres" {
			s.database += ticks
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

// processCPU is the user and system CPU ticks of process pid, and its command.
func processCPU(pid string) (ticks int64, comm string) {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, ""
	}
	// The command is in parentheses and may hold spaces; the fields follow.
	open, end := strings.IndexByte(string(raw), '('), strings.LastIndexByte(string(raw), ')')
	if open < 0 || end < open {
		return 0, ""
	}
	f := strings.Fields(string(raw[end+1:]))
	if len(f) <= 12 {
		return 0, ""
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime, string(raw[open+1 : end])
}

// processSyscalls is how many read and write system calls process pid has
// made: on loopback, each costs the sender the receiver's network stack
// too, so their count per request explains much of the CPU.
func processSyscalls(pid string) int64 {
	raw, err := os.ReadFile("/proc/" + pid + "/io")
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && (k == "syscr" || k == "syscw") {
			c, _ := strconv.ParseInt(v, 10, 64)
			n += c
		}
	}
	return n
}

// cpuPerRequest is CPU microseconds per request between two samples.
type cpuPerRequest struct{ server, database, machine, syscalls float64 }

func (s cpuSample) perRequest(before cpuSample, requests float64) cpuPerRequest {
	if requests <= 0 {
		return cpuPerRequest{}
	}
	us := 1e6 / ticksPerSecond / requests
	return cpuPerRequest{server: float64(s.process-before.process) * us,
		database: float64(s.database-before.database) * us, machine: float64(s.machine-before.machine) * us,
		syscalls: float64(s.syscalls-before.syscalls) / requests}
}

// String says what a request cost: the server's share only where its
// process was known (not the Django design's workers), PostgreSQL's only
// where none of its processes ended between the samples (the Django
// design's connections come and go, taking their CPU time with them).
func (c cpuPerRequest) String() string {
	server, database := "n/a", "n/a"
	if c.server > 0 {
		server = fmt.Sprintf("%4.0f", c.server)
	}
	if c.database >= 0 {
		database = fmt.Sprintf("%4.0f", c.database)
	}
	s := fmt.Sprintf("CPU µs/request: server %s, database %s, machine %4.0f", server, database, c.machine)
	if c.syscalls > 0 {
		s += fmt.Sprintf("; server reads+writes/request %.1f", c.syscalls)
	}
	return s
}
