//go:build linux

// Command run is `make run`: the whole API on this machine (see package localstack).
// Settings come from the environment: HOST, PORT, DATA_DIR, FRESH, POOL, DYNAMODB_ENDPOINT,
// PARAM_<Name>, any variable template.yaml sets for a function, SIGNING_KEY.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/jwtauth/jwtauth/infra/localstack"
)

func main() {
	// Should make (our parent) die without passing the signal on, stop cleanly anyway.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts, err := localstack.OptionsFromEnv(localstack.EnvMap(os.Environ()))
	if err != nil {
		fail(err)
	}
	opts.Log = os.Stdout
	s, err := localstack.Start(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			os.Exit(130) // interrupted while starting; everything started is stopped
		}
		fail(err)
	}
	fmt.Print(s.Summary())
	<-ctx.Done()
	fmt.Println("\nstopping ...")
	if err := s.Stop(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "make run:", err)
	os.Exit(1)
}
