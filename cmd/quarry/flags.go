package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"quarry/infra"
)

// parseInterspersed parses args with fs, allowing flags before and after
// positional arguments ("user create alice --admin" and "user create
// --admin alice"). It returns the positionals in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage to w.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: quarry %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// storeConfig returns the backend configuration from the environment with
// --data applied on top.
func (m *Main) storeConfig(dataFlag string) infra.Config {
	cfg := infra.ConfigFromEnv(m.Getenv)
	if dataFlag != "" {
		cfg.DataDir = dataFlag
	}
	return cfg
}

// parseFlags parses args and checks the number of positionals.
func parseFlags(fs *flag.FlagSet, args []string, npos int, what string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return nil, err
		}
		return nil, usagef("%v", err)
	}
	if len(pos) != npos {
		if npos == 0 {
			return nil, usagef("unexpected arguments: %s", strings.Join(pos, " "))
		}
		return nil, usagef("expected %s, got %d arguments", what, len(pos))
	}
	return pos, nil
}
