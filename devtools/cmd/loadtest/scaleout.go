package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clinicapi/healthcare/devtools/internal/serverproc"
	"github.com/clinicapi/healthcare/internal/nginx"
)

// startBalancer puts nginx in front of the given instances.
func startBalancer(backends ...*serverproc.Server) (*nginx.Balancer, error) {
	upstreams := make([]string, len(backends))
	for i, b := range backends {
		upstreams[i] = b.Addr()
	}
	return nginx.Start(upstreams...)
}

// startPair starts two instances on the same database with the same env.
func startPair(ctx context.Context, o options, pg pgconn, env ...string) (*serverproc.Server, *serverproc.Server, error) {
	a, err := start(ctx, o.bin, pg, env...)
	if err != nil {
		return nil, nil, err
	}
	b, err := start(ctx, o.bin, pg, env...)
	if err != nil {
		a.Stop()
		return nil, nil, err
	}
	return a, b, nil
}

// scaleOut shows that instances share nothing but the database: tokens,
// rotations and throttling cross instances, a workflow passes through the
// balancer, and the load goes through one and then two instances.
func scaleOut(ctx context.Context, o options, pg pgconn) error {
	a, b, err := startPair(ctx, o, pg, "TRUSTED_PROXIES=127.0.0.1")
	if err != nil {
		return err
	}
	defer a.Stop()
	defer b.Stop()
	lb, err := startBalancer(a, b)
	if err != nil {
		return err
	}
	defer lb.Stop()
	check := func(what string, ok bool, detail ...any) error {
		if !ok {
			return fmt.Errorf("%s: %v", what, detail)
		}
		fmt.Println("  ok:", what)
		return nil
	}
	// The seeded accounts log in through A and use the token on B.
	st, raw, err := do(a.URL, "POST", "/api/auth/login/", "", map[string]any{"username": "load1", "password": loadPassword})
	if err := check("login on instance A", err == nil && st == 200, st, string(raw), err); err != nil {
		return err
	}
	var tok struct{ Access, Refresh string }
	_ = json.Unmarshal(raw, &tok)
	st, _, err = do(b.URL, "GET", "/api/auth/me/", tok.Access, nil)
	if err := check("A's access token works on B", err == nil && st == 200, st, err); err != nil {
		return err
	}
	st, raw, _ = do(a.URL, "POST", "/api/auth/refresh/", "", map[string]any{"refresh": tok.Refresh})
	var rotated struct{ Access, Refresh string }
	_ = json.Unmarshal(raw, &rotated)
	st2, _, _ := do(b.URL, "POST", "/api/auth/refresh/", "", map[string]any{"refresh": tok.Refresh})
	if err := check("a refresh rotated on A is refused on B", st == 200 && st2 == 401, st, st2); err != nil {
		return err
	}
	st3, _, _ := do(b.URL, "POST", "/api/auth/refresh/", "", map[string]any{"refresh": rotated.Refresh})
	if err := check("that reuse revoked the family on every instance", st3 == 401, st3); err != nil {
		return err
	}
	if err := workflow(lb.URL); err != nil {
		return fmt.Errorf("workflow through the balancer: %w", err)
	}
	fmt.Println("  ok: the workflow passes through the balancer")

	// Load: through nginx to A alone, then to A and B.
	clients, err := newClients(lb.URL, o.profile, o.conns)
	if err != nil {
		return err
	}
	var read hotPath
	for _, p := range hotPaths {
		if p.name == "patient_read" {
			read = p
		}
	}
	one, err := startBalancer(a)
	if err != nil {
		return err
	}
	r1 := drive(ctx, o.profile, one.URL, clients, read, o.duration, nil, 0)
	one.Stop()
	r2 := drive(ctx, o.profile, lb.URL, clients, read, o.duration, nil, 0)
	fmt.Printf("  GET /api/patients/{id}/ through nginx: one instance %.0f req/s (p99 %.1f ms), two instances %.0f req/s (p99 %.1f ms), errors %d/%d\n",
		r1.rps, ms(r1.p99), r2.rps, ms(r2.p99), r1.errors, r2.errors)

	// Throttling, on a pair of its own with a limit: both instances count
	// one address's auth requests together.
	const authLimit = 12
	c, d, err := startPair(ctx, o, pg, "THROTTLE_AUTH="+fmt.Sprint(authLimit)+"/1m")
	if err != nil {
		return err
	}
	defer c.Stop()
	defer d.Stop()
	codes := map[int]int{}
	for i := range authLimit + 4 {
		base := c.URL
		if i%2 == 1 {
			base = d.URL
		}
		st, _, _ := do(base, "POST", "/api/auth/register/", "", map[string]any{})
		codes[st]++
	}
	return check(fmt.Sprintf("throttling counts requests to both instances (limit %d: %v)", authLimit, codes),
		codes[429] >= 4 && codes[400]+codes[429] == authLimit+4, codes)
}

// workflow runs the README's walk-through against base, every answer checked.
func workflow(base string) error {
	steps := []struct {
		method, path string
		body         any
		want         int
		save         string
	}{
		{"POST", "/api/auth/register/", map[string]any{"username": "lbuser", "email": "lb@example.com", "password": "c0rrect-h0rse-battery"}, 201, ""},
		{"POST", "/api/auth/login/", map[string]any{"username": "lbuser", "password": "c0rrect-h0rse-battery"}, 200, "token"},
		{"POST", "/api/patients/", map[string]any{"first_name": "Jon", "last_name": "Doe", "email": "jon@example.com", "dob": "1990-01-01"}, 201, "patient"},
		{"GET", "/api/patients/{patient}/", nil, 200, ""},
		{"PATCH", "/api/patients/{patient}/", map[string]any{"notes": "through the balancer"}, 200, ""},
		{"POST", "/api/doctors/", map[string]any{"first_name": "Alice", "last_name": "Smith", "email": "alice-lb@clinic.com", "specialization": "Cardiology"}, 201, "doctor"},
		{"POST", "/api/mappings/", map[string]any{"patient": "{patient}", "doctor": "{doctor}"}, 201, "mapping"},
		{"GET", "/api/mappings/{patient}/", nil, 200, ""},
		{"DELETE", "/api/doctors/{doctor}/", nil, 409, ""},
		{"DELETE", "/api/mappings/{mapping}/", nil, 204, ""},
		{"DELETE", "/api/doctors/{doctor}/", nil, 204, ""},
		{"GET", "/api/audit/?patient={patient}", nil, 200, ""},
		{"DELETE", "/api/patients/{patient}/", nil, 204, ""},
		{"GET", "/api/patients/{patient}/", nil, 404, ""},
	}
	vars := map[string]string{}
	fill := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	for _, st := range steps {
		body := st.body
		if m, ok := body.(map[string]any); ok {
			filled := map[string]any{}
			for k, v := range m {
				if s, ok := v.(string); ok {
					v = fill(s)
				}
				filled[k] = v
			}
			body = filled
		}
		status, raw, err := do(base, st.method, fill(st.path), vars["token"], body)
		if err != nil || status != st.want {
			return fmt.Errorf("%s %s = %d, want %d: %s %v", st.method, fill(st.path), status, st.want, raw, err)
		}
		if st.save != "" {
			var out map[string]any
			_ = json.Unmarshal(raw, &out)
			if st.save == "token" {
				vars["token"] = out["access"].(string)
			} else {
				vars[st.save] = fmt.Sprint(int64(out["id"].(float64)))
			}
		}
	}
	return nil
}
