package clienttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
	"github.com/jwtauth/jwtauth/infra/localstack"
)

// The tests wait for access tokens to expire several times, so the lifetime is short; not
// shorter, because exp counts from iat in whole seconds (a "2s" token may live 1 s), and a
// token that expires while a test's parallel requests queue would cause a second refresh.
const accessTokenLifetime = "3s"

// TestTypeScriptClient builds the client and runs `npm test` and `npm run test:browser`
// against a fresh stack. Missing npm or Chromium fails the test: it never skips.
func TestTypeScriptClient(t *testing.T) {
	npm := lookPath(t, "npm", "the TypeScript client's tests need Node.js 20+ and npm (apt-get install nodejs npm)")
	chromium := os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = lookPath(t, "chromium", "the browser test needs Debian's chromium: `make chromium` installs it (apt-get install chromium)")
	}
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "clients", "typescript")

	ctx, cancel := context.WithTimeout(context.Background(), budget(t))
	defer cancel()

	// npm ci and the build run while the stack starts; both take a while on a first run.
	built, buildDone := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(buildDone)
		built <- build(ctx, npm, dir)
	}()
	t.Cleanup(func() {
		cancel() // a Fatal below must not leave npm running
		<-buildDone
	})

	// The demo page's origin must be one the API allows; a free port, not Ionic's 8100,
	// so a developer's `ionic serve` does not collide with the test.
	demoPort := freePort(t)
	stackLog := &tailBuffer{}
	start := time.Now()
	stack, err := localstack.Start(ctx, localstack.Options{
		Fresh:   true,
		DataDir: t.TempDir(),
		Env: map[string]string{
			"ACCESS_TOKEN_LIFETIME": accessTokenLifetime,
			"ALLOWED_ORIGINS":       fmt.Sprintf("http://localhost:%d", demoPort),
		},
		Log: stackLog,
	})
	if err != nil {
		t.Fatalf("the stack did not start: %v\n%s", err, stackLog.tail(50))
	}
	t.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("stack up on %s in %v", stack.URL(), time.Since(start).Round(time.Millisecond))
	if err := <-built; err != nil {
		t.Fatal(err)
	}

	env := append(os.Environ(),
		"BASE_URL="+stack.URL(),
		fmt.Sprintf("DEMO_PORT=%d", demoPort),
		"CHROMIUM_PATH="+chromium,
		"SCREENSHOT_DIR="+filepath.Join(root, ".local", "clienttest"),
	)
	for _, script := range [][]string{{"test"}, {"run", "test:browser"}} {
		if err := run(ctx, dir, env, npm, script...); err != nil {
			t.Errorf("%v\nthe stack's last lines:\n%s", err, stackLog.tail(30))
			return
		}
	}
}

// build installs the dependencies when node_modules is missing or older than
// package-lock.json, then builds the package.
func build(ctx context.Context, npm, dir string) error {
	if stale(dir) {
		if err := run(ctx, dir, os.Environ(), npm, "ci", "--no-audit", "--no-fund"); err != nil {
			return err
		}
	}
	return run(ctx, dir, os.Environ(), npm, "run", "build")
}

// stale reports whether npm ci is needed: npm writes node_modules/.package-lock.json on
// every install, so it is older than package-lock.json when the lock changed since.
func stale(dir string) bool {
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return true
	}
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	return err != nil || installed.ModTime().Before(lock.ModTime())
}

// run runs a command in dir, streaming its output to stdout; on failure the error carries
// the output's last lines.
func run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	// npm starts node, which starts test processes and Chromium: stop them all together.
	cmd.SysProcAttr = proc.SysProcAttr()
	cmd.Cancel = func() error { return proc.KillGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out := &tailBuffer{}
	w := io.MultiWriter(os.Stdout, out)
	cmd.Stdout, cmd.Stderr = w, w
	line := "npm " + strings.Join(args, " ")
	fmt.Printf("clienttest: %s (in %s)\n", line, dir)
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Round(time.Millisecond)
	fmt.Printf("clienttest: %s: %v in %v\n", line, status(err), took)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return fmt.Errorf("%s failed after %v: %v; its output:\n%s", line, took, err, out.tail(80))
	}
	return nil
}

func status(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func lookPath(t *testing.T, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: %s", name, hint)
	}
	return path
}

// freePort is a port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// budget is the time the test may take: go test's -timeout less a margin for cleanup.
func budget(t *testing.T) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		return time.Until(deadline) - 30*time.Second
	}
	return 15 * time.Minute
}

// tailBuffer keeps what is written to it; tail gives its last lines.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *tailBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
