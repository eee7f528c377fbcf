package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const usage = `usage: healthcare [command] [flags]

commands:
  serve            serve the API (the default)
  migrate          apply pending database migrations (--status: list them)
  check            report unsafe settings and whether the database answers;
                   exits non-zero on any problem
  createsuperuser  create a staff account (--username, --email, --password;
                   what is missing is read from standard input)
  audit export     write audit events as JSON lines (--since, --until)
  import django SOURCE_URL
                   copy a Django design's database in (--dry-run: check only)
  probe [URL]      exit 0 if /readyz answers 200 (for container health
                   checks, where there is no curl); default URL from ADDR
  version          print the version

healthcare COMMAND --help describes one command. Configuration comes from
the environment and ./.env (see the README).
`

// cli is what a command is given: the process's streams and environment.
type cli struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run is the whole program; main only gives it the process's environment.
// Every command parses its flags before anything else, so that --help
// prints its usage and does nothing more.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && isHelp(args[0]) {
		name = "help"
	}
	switch name {
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return c.serve(ctx, args)
	case "migrate":
		return c.migrate(ctx, args)
	case "check":
		return c.check(ctx, args)
	case "createsuperuser":
		return c.createSuperuser(ctx, args)
	case "audit":
		return c.audit(ctx, args)
	case "import":
		return c.importCmd(ctx, args)
	case "probe":
		return c.probe(ctx, args)
	case "version":
		return c.version(args)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", name)
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// errHelp ends a command whose --help was asked for: its usage is printed.
var errHelp = errors.New("help printed")

// parse reads a command's flags and at most maxArgs arguments. Its usage
// goes to standard output when asked for, and with the error otherwise.
func (c *cli) parse(fs *flag.FlagSet, synopsis string, args []string, maxArgs int) error {
	fs.Init(fs.Name(), flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: healthcare %s\n", synopsis)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if isHelp(a) {
			fs.SetOutput(c.stdout)
			fs.Usage()
			return errHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > maxArgs {
		return fmt.Errorf("%s: unexpected argument %q; see healthcare %s --help", fs.Name(), fs.Arg(maxArgs), fs.Name())
	}
	return nil
}

// config reads ./.env and the configuration, and makes the logger.
func (c *cli) config() (*config, *slog.Logger, error) {
	getenv, err := loadEnv(c.getenv, ".env")
	if err != nil {
		return nil, nil, err
	}
	cfg, err := parseConfig(getenv)
	if err != nil {
		return nil, nil, err
	}
	return cfg, newLogger(cfg, c.stderr), nil
}

// command runs fn with the configuration once args are parsed.
func (c *cli) command(fs *flag.FlagSet, synopsis string, args []string, maxArgs int, fn func(*config, *slog.Logger) error) error {
	if err := c.parse(fs, synopsis, args, maxArgs); errors.Is(err, errHelp) {
		return nil
	} else if err != nil {
		return err
	}
	cfg, logger, err := c.config()
	if err != nil {
		return err
	}
	return fn(cfg, logger)
}

func (c *cli) serve(ctx context.Context, args []string) error {
	return c.command(flag.NewFlagSet("serve", 0), "serve\n\nServe the API on ADDR until SIGTERM or SIGINT.", args, 0,
		func(cfg *config, logger *slog.Logger) error { return serve(ctx, cfg, logger) })
}

func (c *cli) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", 0)
	status := fs.Bool("status", false, "list migrations and whether each is applied, and apply none")
	return c.command(fs, "migrate [--status]\n\nApply pending database migrations.", args, 0,
		func(cfg *config, _ *slog.Logger) error { return migrate(ctx, cfg, *status, c.stdout) })
}

func (c *cli) check(ctx context.Context, args []string) error {
	return c.command(flag.NewFlagSet("check", 0), "check\n\nReport every unsafe setting, whether the database answers and pending migrations;\nexit non-zero on any problem.", args, 0,
		func(cfg *config, _ *slog.Logger) error { return check(ctx, cfg, c.stdout) })
}

func (c *cli) createSuperuser(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("createsuperuser", 0)
	var a account
	fs.StringVar(&a.username, "username", "", "username")
	fs.StringVar(&a.email, "email", "", "email address")
	fs.StringVar(&a.password, "password", "", "password (prefer standard input: flags show in the process list)")
	return c.command(fs, "createsuperuser [--username U] [--email E] [--password P]\n\nCreate a staff account; what the flags leave out is read from standard input, one line each.", args, 0,
		func(cfg *config, _ *slog.Logger) error { return createSuperuser(ctx, cfg, a, c.stdin, c.stdout) })
}

func (c *cli) audit(ctx context.Context, args []string) error {
	const synopsis = "audit export [--since RFC3339] [--until RFC3339]\n\nWrite audit events as JSON lines, oldest first."
	if len(args) == 0 || args[0] != "export" {
		fs := flag.NewFlagSet("audit", 0)
		if err := c.parse(fs, synopsis, args, 0); errors.Is(err, errHelp) {
			return nil
		}
		return errors.New("usage: healthcare " + strings.SplitN(synopsis, "\n", 2)[0])
	}
	fs := flag.NewFlagSet("audit export", 0)
	since := fs.String("since", "", "first instant, RFC 3339 (default: the beginning)")
	until := fs.String("until", "", "last instant, RFC 3339 (default: now)")
	return c.command(fs, synopsis, args[1:], 0,
		func(cfg *config, _ *slog.Logger) error { return auditExport(ctx, cfg, *since, *until, c.stdout) })
}

func (c *cli) probe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("probe", 0)
	if err := c.parse(fs, "probe [URL]\n\nExit 0 if the server's /readyz answers 200: a container health check with no curl.\nThe default URL is /readyz on ADDR, over HTTPS when TLS_CERT_FILE is set.", args, 1); errors.Is(err, errHelp) {
		return nil
	} else if err != nil {
		return err
	}
	getenv, err := loadEnv(c.getenv, ".env")
	if err != nil {
		return err
	}
	return probe(ctx, fs.Arg(0), getenv, c.stdout)
}

func (c *cli) version(args []string) error {
	if err := c.parse(flag.NewFlagSet("version", 0), "version\n\nPrint the version.", args, 0); errors.Is(err, errHelp) {
		return nil
	} else if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, versionString())
	return nil
}
