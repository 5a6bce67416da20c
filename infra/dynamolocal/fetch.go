package dynamolocal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

const jarName = "DynamoDBLocal.jar"

// ensureJar runs fetch.sh when the jar is missing, so a plain `go test ./...` works without
// `make dynamodb-local`. go test runs packages in parallel, hence the file lock.
func ensureJar(ctx context.Context, jarDir string, log io.Writer) error {
	jar := filepath.Join(jarDir, jarName)
	if _, err := os.Stat(jar); err == nil {
		return nil
	}
	missing := func(why string) error {
		return fmt.Errorf("dynamolocal: DynamoDB Local jar missing at %s: run `make dynamodb-local` (automatic fetch failed: %s)", jar, why)
	}
	root, err := ModuleRoot()
	if err != nil {
		return missing(err.Error())
	}
	script := filepath.Join(root, "infra", "dynamolocal", "fetch.sh")
	if _, err := os.Stat(script); err != nil {
		return missing(err.Error())
	}
	if err := os.MkdirAll(filepath.Dir(jarDir), 0o755); err != nil {
		return missing(err.Error())
	}

	unlock, err := lockFile(ctx, jarDir+".lock")
	if err != nil {
		return missing(err.Error())
	}
	defer unlock()
	if _, err := os.Stat(jar); err == nil {
		return nil // another process fetched it while we waited for the lock
	}

	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script, jarDir)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &out, &out
	if log != nil {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, log), io.MultiWriter(&out, log)
	}
	cmd.SysProcAttr = proc.SysProcAttr() // a cancelled fetch must not leave curl or npm behind
	cmd.Cancel = func() error { return proc.KillGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		why := lastLine(out.String())
		if why == "" || ctx.Err() != nil {
			why = err.Error()
		}
		return missing(why)
	}
	if _, err := os.Stat(jar); err != nil {
		return missing("fetch.sh succeeded but the jar is not there")
	}
	return nil
}

// lockFile takes an exclusive flock on path, giving up when ctx ends.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return func() { f.Close() }, nil // closing the file releases the lock
	case <-ctx.Done():
		// The goroutine still holds f; closing it would race its pending flock, so let it
		// finish and release whatever it got.
		go func() { <-done; f.Close() }()
		return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
