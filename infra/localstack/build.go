package localstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwtauth/jwtauth/infra/internal/proc"
	"github.com/jwtauth/jwtauth/infra/rie"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// hostArch is the architecture the bootstraps are built for: this machine's, whatever the
// template's Architectures say, because RIE runs them natively.
func hostArch() string { return runtime.GOARCH }

// build builds every function through the Makefile target SAM uses (one build recipe),
// into <root>/.local/build/<LogicalId>/bootstrap, and aws-lambda-rie, all concurrently.
// It returns each function's bootstrap path and RIE's.
func build(ctx context.Context, root string, fns []samtemplate.Function) (map[string]string, string, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	bootstraps := map[string]string{}
	errs := make([]error, len(fns)+1)
	var rieBin string
	wg.Go(func() { rieBin, errs[len(fns)] = rie.Binary(ctx, root) })
	for i, fn := range fns {
		wg.Go(func() {
			bootstrap, err := BuildFunction(ctx, root, fn.LogicalID, hostArch(), filepath.Join(root, ".local", "build", fn.LogicalID))
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			bootstraps[fn.LogicalID] = bootstrap
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	return bootstraps, rieBin, nil
}

// BuildFunction builds one function for goarch through the Makefile target SAM uses (the
// one build recipe) into dir, and returns the bootstrap's path.
func BuildFunction(ctx context.Context, root, logicalID, goarch, dir string) (string, error) {
	if err := makeTarget(ctx, root, "build-"+logicalID, "GOARCH="+goarch, "ARTIFACTS_DIR="+dir); err != nil {
		return "", fmt.Errorf("build %s: %w", logicalID, err)
	}
	return filepath.Join(dir, "bootstrap"), nil
}

// makeTarget runs make in root; its output is shown only when it fails.
func makeTarget(ctx context.Context, root string, args ...string) error {
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", root}, args...)...)
	cmd.SysProcAttr = proc.SysProcAttr()
	// Cancelling kills make's whole group, the go build it runs included.
	cmd.Cancel = func() error { return proc.KillGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("make %s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
