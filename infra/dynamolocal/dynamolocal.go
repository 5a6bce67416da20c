// Package dynamolocal runs AWS's DynamoDB Local (the official jar, started with java) for
// tests and local runs: no Docker, no AWS account. The jar lives in the repo's git-ignored
// .local/dynamodb-local and is fetched on first use (see fetch.sh, `make dynamodb-local`).
package dynamolocal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

// Options for Start. Zero value: in memory, free loopback port, jar from the repo's .local/dynamodb-local.
type Options struct {
	JarDir string    // directory holding DynamoDBLocal.jar; "" = <module root>/.local/dynamodb-local
	DBPath string    // "" = -inMemory; else -dbPath DBPath (created if missing)
	Port   int       // 0 = pick a free 127.0.0.1 port
	Log    io.Writer // DynamoDB Local's stdout/stderr; nil = discarded
}

const (
	readyTimeout = 60 * time.Second // JVM start on a busy 2-core CI machine can take a while
	fetchTimeout = 5 * time.Minute  // first run downloads ~56 MB through npm
	stopGrace    = 10 * time.Second
	tailLines    = 20
	portAttempts = 3 // with Port 0, another process may take the picked port before java binds it
)

// Server is a running DynamoDB Local process.
type Server struct {
	port   int
	cmd    *exec.Cmd
	out    *outputTail
	exited chan struct{} // closed once the process has been reaped
	errW   error         // cmd.Wait's result, valid after exited is closed
	copied chan struct{} // closed once all output has been copied to Log

	stopOnce sync.Once
	stopErr  error
}

// errPortInUse means java could not bind the port.
var errPortInUse = errors.New("port in use")

// Start starts DynamoDB Local and returns once it answers a ListTables call. ctx bounds the
// start only (fetching the jar if missing, then up to ~60s for the JVM); the server runs
// until Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	java, err := findJava()
	if err != nil {
		return nil, err
	}
	jarDir, err := resolveJarDir(opts.JarDir)
	if err != nil {
		return nil, err
	}
	if err := ensureJar(ctx, jarDir, opts.Log); err != nil {
		return nil, err
	}
	dbPath := ""
	if opts.DBPath != "" {
		// Absolute because java runs with the jar's directory as its working directory.
		if dbPath, err = filepath.Abs(opts.DBPath); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dbPath, 0o755); err != nil {
			return nil, fmt.Errorf("dynamolocal: create DBPath: %w", err)
		}
	}

	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			ports, err := proc.FreePorts(1)
			if err != nil {
				return nil, fmt.Errorf("dynamolocal: %w", err)
			}
			port = ports[0]
		} else if err := checkPortFree(port); err != nil {
			return nil, err
		}
		s, err := launch(ctx, java, jarDir, dbPath, port, opts.Log)
		if errors.Is(err, errPortInUse) && opts.Port == 0 && attempt < portAttempts {
			continue
		}
		return s, err
	}
}

func launch(ctx context.Context, java, jarDir, dbPath string, port int, log io.Writer) (*Server, error) {
	args := []string{
		// C1-only JIT and the serial GC halve the JVM's start-up CPU (~4s to ~2s), which is what
		// counts when several test binaries start one each on a 2-core machine.
		"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
		"-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port),
	}
	if dbPath == "" {
		args = append(args, "-inMemory")
	} else {
		args = append(args, "-dbPath", dbPath)
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = jarDir
	cmd.SysProcAttr = proc.SysProcAttr()
	pr, err := proc.StartMerged(cmd)
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: start java: %w", err)
	}

	s := &Server{
		port:   port,
		cmd:    cmd,
		out:    &outputTail{bindFailed: make(chan struct{})},
		exited: make(chan struct{}),
		copied: make(chan struct{}),
	}
	go func() {
		defer close(s.copied)
		s.out.copy(pr, log)
		pr.Close()
	}()
	go func() {
		s.errW = cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, readyTimeout)
	defer cancel()
	// The JVM does not exit when the bind fails (non-daemon threads stay), so its output is
	// watched too. Either event cancels a probe in flight: one stuck on a port some other
	// process holds would otherwise delay the verdict.
	go func() {
		select {
		case <-s.out.bindFailed:
		case <-s.exited:
		case <-ctx.Done():
		}
		cancel()
	}()
	client, err := probeClient(s.Endpoint())
	if err != nil {
		return err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(pctx, &dynamodb.ListTablesInput{Limit: ptr(int32(1))})
		pcancel()
		if ferr := s.failed(); ferr != nil {
			return ferr
		}
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if ferr := s.failed(); ferr != nil {
				return ferr
			}
			return fmt.Errorf("dynamolocal: DynamoDB Local on port %d not ready: %w; last output:\n%s", s.port, ctx.Err(), s.out.tail())
		case <-tick.C:
		}
	}
}

// failed reports a bind failure or an exit seen so far.
func (s *Server) failed() error {
	select {
	case <-s.out.bindFailed:
		return fmt.Errorf("dynamolocal: port %d in use: %w", s.port, errPortInUse)
	case <-s.exited:
		<-s.copied
		return fmt.Errorf("dynamolocal: DynamoDB Local exited early (%v); last output:\n%s", s.errW, s.out.tail())
	default:
		return nil
	}
}

// Endpoint is the server's URL, "http://127.0.0.1:N".
func (s *Server) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.port }

// Stop ends the process group (SIGTERM, then SIGKILL after a grace period) and waits for it.
// Safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	select {
	case <-s.exited:
	default:
		_ = s.signal(syscall.SIGTERM)
		_ = s.signal(syscall.SIGCONT) // a paused JVM only acts on SIGTERM once continued
		select {
		case <-s.exited:
		case <-time.After(stopGrace):
			_ = s.signal(syscall.SIGKILL)
			select {
			case <-s.exited:
			case <-time.After(stopGrace):
				return fmt.Errorf("dynamolocal: pid %d did not exit after SIGKILL", s.cmd.Process.Pid)
			}
		}
	}
	<-s.copied // no writes to Log after Stop returns
	return nil
}

// Pause freezes the server (SIGSTOP): connections are accepted by the kernel but never answered.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

// signal signals the whole process group; java is its leader (Setpgid).
func (s *Server) signal(sig syscall.Signal) error {
	select {
	case <-s.exited:
		return errors.New("dynamolocal: server not running")
	default:
	}
	if err := proc.KillGroup(s.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("dynamolocal: %v to process group %d: %w", sig, s.cmd.Process.Pid, err)
	}
	return nil
}

// Pid is the java process id (also its process group id).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

func findJava() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if p := filepath.Join(home, "bin", "java"); isExecutable(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", errors.New("dynamolocal: java not found: install Java 17+ (apt-get install openjdk-17-jre-headless)")
	}
	return p, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func resolveJarDir(dir string) (string, error) {
	if dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", err
		}
		return filepath.Join(root, ".local", "dynamodb-local"), nil
	}
	return filepath.Abs(dir)
}

// checkPortFree fails fast on a taken port. Without it a DynamoDB Local already listening
// there would answer the readiness probe in place of ours.
func checkPortFree(port int) error {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return fmt.Errorf("dynamolocal: port %d in use: %w", port, errPortInUse)
	}
	return l.Close()
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamolocal: no go.mod found above the working directory")
		}
		dir = parent
	}
}

// outputTail copies the process output to an optional writer and keeps its last lines for errors.
type outputTail struct {
	mu         sync.Mutex
	lines      []string
	bindFailed chan struct{}
	bindOnce   sync.Once
}

func (o *outputTail) copy(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if w != nil {
			_, _ = io.WriteString(w, line+"\n")
		}
		if strings.Contains(line, "Address already in use") || strings.Contains(line, "Failed to bind") {
			o.bindOnce.Do(func() { close(o.bindFailed) })
		}
		o.mu.Lock()
		o.lines = append(o.lines, line)
		if len(o.lines) > tailLines {
			o.lines = o.lines[len(o.lines)-tailLines:]
		}
		o.mu.Unlock()
	}
	// Keep draining past an over-long line so java never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}

func (o *outputTail) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.lines) == 0 {
		return "  (no output)"
	}
	return "  " + strings.Join(o.lines, "\n  ")
}

func ptr[T any](v T) *T { return &v }
