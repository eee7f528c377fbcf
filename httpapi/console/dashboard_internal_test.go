package console

import (
	"testing"
	"time"

	"github.com/clinicapi/healthcare"
)

func TestChartScales(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hours := make([]healthcare.HourCount, 24)
	for i := range hours {
		hours[i].Start = start.Add(time.Duration(i) * time.Hour)
	}
	hours[3].FailedSignIns, hours[3].Throttled = 10, 5
	c := newChart(hours)
	if c.Max != 10 || len(c.Bars) != 48 || len(c.Labels) != 4 {
		t.Fatalf("newChart: max %d, %d bars, %d labels; want 10, 48, 4", c.Max, len(c.Bars), len(c.Labels))
	}
	failed, throttled := c.Bars[6], c.Bars[7]
	if failed.H != chartHeight || throttled.H != chartHeight/2 || failed.Y+failed.H != c.Base {
		t.Errorf("bars of hour 3 = %+v, %+v; want full and half height on the base line", failed, throttled)
	}
	if c.Bars[0].H != 0 {
		t.Errorf("an empty hour has a bar of %d", c.Bars[0].H)
	}
}
