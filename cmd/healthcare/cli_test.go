package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// Every command answers --help with its usage on standard output, exit 0,
// and does nothing else: no database, no key file, whatever the
// environment says.
func TestHelpHasNoSideEffects(t *testing.T) {
	t.Chdir(t.TempDir())
	env := map[string]string{"DEBUG": "not-a-bool"} // a config error, were it read
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}, {"migrate", "--help"}, {"migrate", "--status", "-h"},
		{"check", "--help"}, {"createsuperuser", "--help"}, {"audit", "--help"}, {"audit", "export", "--help"},
		{"probe", "--help"}, {"version", "--help"}, {"import", "--help"}, {"import", "django", "--help"},
		{"import", "django", "postgres://u:p@h/db", "--dry-run", "--help"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(k string) string { return env[k] }, nil, &out, &out); err != nil {
			t.Errorf("healthcare %s = %v, want nil", strings.Join(args, " "), err)
		}
		if !strings.Contains(out.String(), "usage: healthcare") {
			t.Errorf("healthcare %s printed %q, want its usage", strings.Join(args, " "), out.String())
		}
	}
	entries, _ := os.ReadDir(".")
	for _, e := range entries {
		t.Errorf("--help left %s behind", e.Name())
	}
}

// Arguments a command does not take are errors, not ignored.
func TestUnknownArgumentsRefused(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"serve", "extra"}, {"migrate", "now"}, {"check", "all"}, {"version", "x"}, {"probe", "http://a", "http://b"},
		{"serve", "--port", "80"}, {"audit", "import"}, {"frobnicate"},
		{"import"}, {"import", "flask", "x"}, {"import", "django"}, {"import", "django", "a", "b"},
		{"import", "django", "sqlite:///x.db", "--frobnicate"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, nil, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("healthcare %s succeeded, want an error", strings.Join(args, " "))
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) > 0 {
		t.Errorf("refused arguments left %v behind", entries)
	}
}

// A bad setting stops the command with one line naming the variable.
func TestConfigErrorsNameTheirVariable(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"ADDR": ":99999"}, nil, "ADDR:"},
		{map[string]string{"METRICS_ADDR": "127.0.0.1:70000"}, nil, "METRICS_ADDR:"},
		{map[string]string{"REFRESH_TOKEN_LIFETIME": "1m"}, nil, "REFRESH_TOKEN_LIFETIME:"},
		{map[string]string{"DATABASE_URL": "sqlite://no-such-dir/x.db"}, []string{"migrate"}, "DATABASE_URL: the directory no-such-dir of no-such-dir/x.db does not exist"},
	} {
		err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, nil, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("run with %v = %v, want an error starting %q", tc.env, err, tc.want)
		}
	}
}
