// Command bench is `make bench` (see package bench): it prints one markdown report to
// stdout, or the same figures as JSON with -json or BENCH_JSON=1. BASE_URL=http://host:port
// measures that djoser-compatible server end to end instead of the local stack. Progress
// goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/jwtauth/jwtauth/infra/bench"
)

func main() {
	asJSON := flag.Bool("json", false, "print the figures as JSON instead of markdown")
	flag.Parse()
	if v := os.Getenv("BENCH_JSON"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			fail(fmt.Errorf("BENCH_JSON=%s: want 1 or 0", v))
		}
		*asJSON = *asJSON || on
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, err := bench.Run(ctx, bench.Options{BaseURL: os.Getenv("BASE_URL"), Progress: os.Stderr})
	if err != nil {
		fail(err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteMarkdown(os.Stdout)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "make bench:", err)
	os.Exit(1)
}
