package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"
)

// report prints the results as a Markdown table, with the targets of the
// small profile: reads at least 40% of their SELECT ceiling, writes 30% of
// their transaction's.
func report(o options, results []pathResult, peakKiB int, startup time.Duration) {
	loadPeak := 0
	host, _ := os.Hostname()
	fmt.Printf("\n## Load: profile %s, %d connections, %v per path, %d round(s), %d CPUs (%s)\n\n",
		o.profile.name, o.conns, o.duration, o.rounds, runtime.NumCPU(), host)
	if o.rounds > 1 {
		fmt.Println("Each row is the round with the median API / ceiling; the range is every round's.")
		fmt.Println()
	}
	fmt.Println("| path | req/s | p50 ms | p99 ms | errors | peak RSS MiB | pgbench ceiling tps | API / ceiling | target |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range results {
		target, met := 0.40, "reads ≥ 40%"
		if r.write {
			target, met = 0.30, "writes ≥ 30%"
		}
		verdict := "met"
		if r.ratio() < target {
			verdict = "MISSED"
		}
		ratio := fmt.Sprintf("%.0f%%", 100*r.ratio())
		if len(r.ratios) > 1 {
			ratio += fmt.Sprintf(" (%.0f–%.0f%%)", 100*slices.Min(r.ratios), 100*slices.Max(r.ratios))
		}
		fmt.Printf("| %s | %.0f | %.2f | %.2f | %d | %.1f | %.0f | %s | %s: %s |\n",
			r.name, r.rps, ms(r.p50), ms(r.p99), r.errors, mib(r.peakKiB), r.ceiling, ratio, met, verdict)
		loadPeak = max(loadPeak, r.peakKiB)
	}
	fmt.Printf("\nserver peak RSS under load: %.1f MiB (target < 64 MiB); whole run, the logins before the load included: %.1f MiB\n",
		mib(loadPeak), mib(peakKiB))
	fmt.Printf("start-up to /readyz 200 on a migrated database: %v (target < 200 ms)\n", startup.Round(time.Millisecond))
}

func mib(kib int) float64 { return float64(kib) / 1024 }
