// Command quarry is Quarry's local all-in-one binary: the hub server and the
// admin commands that manage users and tokens in the same data directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	if err == nil && m.Serving() {
		<-ctx.Done()
		fmt.Fprintln(m.Stderr, "quarry: shutting down")
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, new(*usageError)):
		fmt.Fprintln(m.Stderr, "quarry:", err)
		fmt.Fprintln(m.Stderr, "Run 'quarry help' for usage.")
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(m.Stderr, "quarry:", err)
		os.Exit(1)
	}
}

// Main is the program: it parses a command line and runs the subcommand.
// Tests drive it in-process: Run("serve", ...) starts the server and
// returns; Close stops it.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (os.Getenv by default).
	Getenv func(string) string

	srv *server // set by serve until Close
}

// NewMain returns a Main wired to the process's stdio and environment.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// usageError is a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const usage = `Quarry: a self-hosted model hub speaking the Hugging Face Hub API.

Usage:
  quarry serve [--addr HOST:PORT] [--data DIR] [--public-url URL] [--runner process|podman]
        [--max-parallel-jobs N] [--ort-lib PATH] [--threads N] [--demo-max-file-size BYTES]
        [--demo-rate PER_SECOND] [--demo-burst N]
  quarry user create NAME [--email E] [--password P] [--admin] [--data DIR]
  quarry token create NAME --role read|write|fineGrained [--label L]
        [--repo TYPE/NS/NAME:read|write ...] [--namespace NS:read|write ...] [--data DIR]
  quarry token revoke NAME SUFFIX_OR_LABEL [--data DIR]
  quarry org create ORG --owner NAME [--data DIR]
  quarry org add-member ORG NAME --role read|write|admin [--data DIR]
  quarry team create ORG TEAM [--data DIR]
  quarry team add-member ORG TEAM NAME [--data DIR]
  quarry repo grant [--type model|dataset|space] NS/REPO (--team ORG/TEAM | --user NAME)
        --role read|write [--data DIR]
  quarry import-base [--models DIR] [--data DIR]   (base models converted by make setup)
  quarry dataset upload --endpoint URL --token T --dataset NS/NAME [--private] [--synthetic]
        [--description TEXT] [--no-validate] DIR|ZIP   (an imagefolder, through the HF API)
  quarry train --endpoint URL --token T --dataset NS/DATA --project NS/NAME [--base ID ...]
        [--head logreg|mlp|gbdt ...] [--positive LABEL] [--metric f1|recall|...]
        [--runner process|podman] [--target-recall X] [--publish [--private]] [--wait]
  quarry train-worker   (a training job's task, run by the hub's job runners)
  quarry aws init   (bucket and table of QUARRY_BACKEND=aws; AWS_ENDPOINT_URL for moto_server)
  quarry help

Flags may come before or after the positional arguments.

Environment:
  QUARRY_ADDR        address to listen on (default 127.0.0.1:8080)
  QUARRY_DATA        data directory (default ./data)
  QUARRY_PUBLIC_URL  base of every absolute URL the server emits (default http://ADDR)
  QUARRY_BACKEND     storage backend: local (default) or aws (AWS_ENDPOINT_URL, AWS_REGION,
                     QUARRY_S3_BUCKET, QUARRY_DYNAMODB_TABLE)
  QUARRY_RUNNER      default training runner: process (default) or podman
  QUARRY_ORT_LIB     ONNX Runtime library (default third_party/onnxruntime/lib/libonnxruntime.so.1)
  QUARRY_DEMO_CONTENT=1  on first start, generate synthetic tiles and publish demo/amber-mines

"user create" and "token create" print the new token on their last line.
The admin commands act as the site operator and work while the server runs.
`

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return usagef("missing command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	case "import-base":
		return m.runImportBase(ctx, rest)
	case "serve":
		return m.runServe(ctx, rest)
	case "user", "token", "org", "team", "repo":
		return m.runAdmin(ctx, cmd, rest)
	case "aws":
		return m.runAWS(ctx, rest)
	case "train":
		return m.runTrain(ctx, rest)
	case "dataset":
		return m.runDataset(ctx, rest)
	case "train-worker":
		return m.runTrainWorker(ctx, rest)
	}
	return usagef("unknown command %q", cmd)
}

// Serving reports whether Run started a server that Close will stop.
func (m *Main) Serving() bool { return m.srv != nil }

// Close stops the server started by serve, if any, and releases its stores.
func (m *Main) Close() error {
	if m.srv == nil {
		return nil
	}
	err := m.srv.close()
	m.srv = nil
	return err
}
