package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/clinicapi/healthcare/sqlstore/sqlstoretest"
)

// TestNoPatientDataInAuditOrLogs seeds canary values through a whole
// workflow, then searches the audit table and everything the server
// logged for them.
func TestNoPatientDataInAuditOrLogs(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dbURL := sqlstoretest.URL(t, engine)
			env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": "a-canary-test-key-of-at-least-32-bytes", "LOG_LEVEL": "debug"}
			base, logs, stop := startServer(t, env)
			c := client{t: t, base: base}
			canaries := []string{"canaryuserq7", "canary.user@q7.example.org", "CanaryPassw0rd!q7", "CanaryFirstQ7",
				"CanaryLastQ7", "canary.patient@q7.example.org", "1911-11-11", "CanaryNotesQ7", "CanaryDoctorQ7"}
			c.call("POST", "/api/auth/register/", "", map[string]any{"username": canaries[0], "email": canaries[1], "password": canaries[2]}, 201)
			c.call("POST", "/api/auth/login/", "", map[string]any{"username": canaries[0], "password": "wrong-" + canaries[2]}, 401)
			c.call("POST", "/api/auth/login/", "", map[string]any{"username": "nobody-" + canaries[0], "password": canaries[2]}, 401)
			tok := c.call("POST", "/api/auth/login/", "", map[string]any{"username": canaries[1], "password": canaries[2]}, 200)
			access, refresh := tok["access"].(string), tok["refresh"].(string)
			canaries = append(canaries, access, refresh)
			p := c.call("POST", "/api/patients/", access, map[string]any{"first_name": canaries[3], "last_name": canaries[4],
				"email": canaries[5], "dob": canaries[6], "notes": canaries[7]}, 201)
			c.call("POST", "/api/patients/", access, map[string]any{"first_name": canaries[3], "last_name": canaries[4],
				"email": canaries[5], "dob": canaries[6]}, 400)
			c.call("GET", "/api/patients/?search="+canaries[4], access, nil, 200)
			c.call("GET", fmt.Sprintf("/api/patients/%v/", p["id"]), access, nil, 200)
			c.call("PATCH", fmt.Sprintf("/api/patients/%v/", p["id"]), access, map[string]any{"notes": canaries[7] + "2"}, 200)
			d := c.call("POST", "/api/doctors/", access, map[string]any{"first_name": canaries[8], "last_name": "X",
				"email": "d@q7.example.org", "specialization": "GP"}, 201)
			c.call("POST", "/api/mappings/", access, map[string]any{"patient": p["id"], "doctor": d["id"]}, 201)
			c.call("GET", "/api/mappings/", access, nil, 200)
			c.call("POST", "/api/auth/refresh/", "", map[string]any{"refresh": refresh}, 200)
			c.call("POST", "/api/auth/refresh/", "", map[string]any{"refresh": refresh}, 401)
			c.call("DELETE", fmt.Sprintf("/api/patients/%v/", p["id"]), access, nil, 204)
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			var audit strings.Builder
			rows, err := sqlstoretest.Raw(t, dbURL).Query("SELECT * FROM audit_events")
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			n := 0
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					fmt.Fprintf(&audit, "%s|", v)
				}
				audit.WriteString("\n")
				n++
			}
			rows.Close()
			if n < 14 {
				t.Errorf("only %d audit events for the workflow", n)
			}
			for _, canary := range canaries {
				if strings.Contains(strings.ToLower(audit.String()), strings.ToLower(canary)) {
					t.Errorf("audit table holds %q", canary)
				}
				if strings.Contains(strings.ToLower(logs.String()), strings.ToLower(canary)) {
					t.Errorf("server log holds %q", canary)
				}
			}
		})
	}
}

func TestCreateSuperuserAndAuditExport(t *testing.T) {
	for _, engine := range sqlstoretest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DATABASE_URL": sqlstoretest.URL(t, engine), "SECRET_KEY": "superuser-test-key-of-32-bytes-at-least"}
			getenv := func(k string) string { return env[k] }
			ctx := context.Background()
			var out bytes.Buffer
			// Non-interactive: flags, and the password on standard input.
			err := run(ctx, []string{"createsuperuser", "--username", "root", "--email", "root@example.com"}, getenv,
				strings.NewReader("Adm1n-secret-pass\n"), &out, io.Discard)
			if err != nil || !strings.Contains(out.String(), `Superuser "root" created`) {
				t.Fatalf("createsuperuser = %v, output %q", err, out.String())
			}
			err = run(ctx, []string{"createsuperuser", "--password", "123"}, getenv, strings.NewReader("root2\nroot2@example.com\n"), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "password: ") {
				t.Errorf("createsuperuser with a weak password = %v, want the password rules", err)
			}

			base, _, stop := startServer(t, env)
			c := client{t: t, base: base}
			c.call("POST", "/api/auth/register/", "", map[string]any{"username": "u1", "email": "u1@example.com", "password": "c0rrect-h0rse-battery"}, 201)
			u := c.call("POST", "/api/auth/login/", "", map[string]any{"username": "u1", "password": "c0rrect-h0rse-battery"}, 200)
			c.call("POST", "/api/patients/", u["access"].(string), map[string]any{"first_name": "A", "last_name": "B", "email": "a@b.com", "dob": "1990-01-01"}, 201)
			staff := c.call("POST", "/api/auth/login/", "", map[string]any{"username": "root", "password": "Adm1n-secret-pass"}, 200)
			all := c.call("GET", "/api/audit/?action=patient.create", staff["access"].(string), nil, 200)
			if all["count"].(float64) != 1 {
				t.Errorf("staff sees %v patient.create events, want u1's one", all["count"])
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			out.Reset()
			if err := run(ctx, []string{"audit", "export", "--since", "2000-01-01T00:00:00Z"}, getenv, nil, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			var actions []string
			sc := bufio.NewScanner(&out)
			for sc.Scan() {
				var ev struct {
					ID     int64
					Action string
				}
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					t.Fatalf("export line %q: %v", sc.Text(), err)
				}
				actions = append(actions, ev.Action)
			}
			// root, the refused root2 (outcome invalid), u1.
			want := "auth.register auth.register auth.register auth.login patient.create auth.login"
			if got := strings.Join(actions, " "); got != want {
				t.Errorf("exported actions = %q, want %q", got, want)
			}
			out.Reset()
			if err := run(ctx, []string{"audit", "export", "--until", "2000-01-01T00:00:00Z"}, getenv, nil, &out, io.Discard); err != nil || out.Len() != 0 {
				t.Errorf("export until 2000 = %q, %v; want nothing", out.String(), err)
			}
			if err := run(ctx, []string{"audit", "export", "--since", "yesterday"}, getenv, nil, &out, io.Discard); err == nil {
				t.Error("export with a bad --since succeeded")
			}
		})
	}
}
