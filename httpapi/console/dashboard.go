package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/clinicapi/healthcare"
)

// chart is the dashboard's bar chart, drawn on the server: two bars an
// hour, scaled to the largest count.
type chart struct {
	Width, Height, Base int
	Max                 int
	Bars                []bar
	Labels              []label
	Hours               []healthcare.HourCount
}

type bar struct {
	Class      string
	X, Y, W, H int
	Title      string
}

type label struct {
	X    int
	Text string
}

const (
	chartSlot   = 24 // pixels per hour
	chartHeight = 120
	chartLeft   = 32
)

func newChart(hours []healthcare.HourCount) chart {
	c := chart{Width: chartLeft + chartSlot*len(hours) + 8, Height: chartHeight + 40, Base: chartHeight + 10, Hours: hours}
	for _, h := range hours {
		c.Max = max(c.Max, h.FailedSignIns, h.Throttled)
	}
	scale := max(c.Max, 1)
	for i, h := range hours {
		x := chartLeft + i*chartSlot
		for j, v := range []struct {
			class, what string
			n           int
		}{{"failed", "failed sign-ins", h.FailedSignIns}, {"throttled", "throttled requests", h.Throttled}} {
			height := v.n * chartHeight / scale
			c.Bars = append(c.Bars, bar{Class: v.class, X: x + 2 + j*10, W: 9, H: height, Y: c.Base - height,
				Title: fmt.Sprintf("%s: %d %s", h.Start.UTC().Format("15:04"), v.n, v.what)})
		}
		if i%6 == 0 {
			c.Labels = append(c.Labels, label{X: x, Text: h.Start.UTC().Format("15:04")})
		}
	}
	return c
}

type dashboardData struct {
	*healthcare.Dashboard
	Chart    chart
	AuditLag string
	Failed   int
	Throttle int
}

func (c *console) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	d, err := c.svc.Staff.Dashboard(r.Context())
	if err != nil {
		return err
	}
	data := dashboardData{Dashboard: d, Chart: newChart(d.Hours), AuditLag: d.AuditLag.Round(time.Microsecond).String()}
	for _, h := range d.Hours {
		data.Failed += h.FailedSignIns
		data.Throttle += h.Throttled
	}
	c.render(w, r, http.StatusOK, "dashboard", page{Title: "Dashboard", Nav: "dashboard", Data: data})
	return nil
}
