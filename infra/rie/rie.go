// Package rie runs Lambda functions locally under AWS's Lambda Runtime Interface Emulator
// (aws-lambda-rie, built from the version go.mod pins as a tool), without a container: one
// RIE process per pool member, each running the function's bootstrap binary.
//
// An RIE serves one invocation at a time; this version crashes (nil dereference after
// "ReserveFailed: AlreadyReserved") instead of answering 400 when invoked while busy, so a
// Pool never sends an RIE a second invocation and queues callers while every member is busy.
package rie

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

// Function is one Lambda function as the emulator runs it.
type Function struct {
	Name       string            // AWS_LAMBDA_FUNCTION_NAME, and the prefix of its log lines
	Bootstrap  string            // path of the bootstrap binary; its directory is the working directory
	Env        map[string]string // the function's whole environment; nothing else is inherited
	Timeout    int               // seconds; RIE answers "Task timed out after N.00 seconds" past it
	MemorySize int               // MB; only reported, not enforced
}

// Options for a Pool.
type Options struct {
	RIE  string    // path of the aws-lambda-rie binary (see Binary)
	Size int       // members; 0 = 1
	Log  io.Writer // the function's output, one "<name>#<n> | <line>" per Write; nil = discarded
}

// Result is one invocation's outcome.
type Result struct {
	Payload []byte // the function's response document
	Report  Report // zero when RIE printed no REPORT (init failure, crash)
}

var (
	// ErrTimeout means the function ran past its Timeout.
	ErrTimeout = errors.New("rie: task timed out")
	// ErrStopped means the pool was stopped.
	ErrStopped = errors.New("rie: pool stopped")
)

// FunctionError is an invocation that failed inside the function: an error returned by the
// handler, a panic, a failed init or a crash. RIE drops Lambda's X-Amz-Function-Error
// header, so a success is told from a handler error by the error document's shape.
type FunctionError struct {
	Type    string
	Message string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("rie: function error %s: %s", e.Type, e.Message)
}

// Binary returns the path of aws-lambda-rie, built (or found in the build cache) from the
// version the module at root pins with a tool directive, for this machine.
func Binary(ctx context.Context, root string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH)
	cmd.SysProcAttr = proc.SysProcAttr()
	cmd.Cancel = func() error { return proc.KillGroup(cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("rie: build aws-lambda-rie (go tool -n aws-lambda-rie): %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Pool runs Size RIE processes of one function.
type Pool struct {
	fn     Function
	opts   Options
	client *http.Client
	idle   chan *instance // members free to take an invocation
	done   chan struct{}  // closed by Stop

	mu      sync.Mutex
	members []*instance // by slot; a crashed member is replaced in its slot
	retired []*instance // crashed members, whose output may still be draining
	stopped bool

	stopOnce sync.Once
	stopErr  error
}

// Start starts the pool's processes and returns once each accepts invocations. The
// bootstraps start on each member's first invocation, as on Lambda.
func Start(ctx context.Context, fn Function, opts Options) (*Pool, error) {
	if opts.Size <= 0 {
		opts.Size = 1
	}
	p := &Pool{
		fn:   fn,
		opts: opts,
		// No proxy from the environment: RIE is on loopback.
		client: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, DisableCompression: true}},
		idle:   make(chan *instance, opts.Size),
		done:   make(chan struct{}),
	}
	p.members = make([]*instance, opts.Size)
	var wg sync.WaitGroup
	errs := make([]error, opts.Size)
	for i := range opts.Size {
		wg.Go(func() { p.members[i], errs[i] = p.launch(ctx, i+1) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		_ = p.Stop()
		return nil, err
	}
	for _, in := range p.members {
		p.idle <- in
	}
	return p, nil
}

// Invoke runs one invocation on a free member, waiting for one while all are busy (until
// ctx ends). Once started, an invocation runs to its end whatever ctx does, so the member
// is never handed a second one while RIE is still busy with the first.
func (p *Pool) Invoke(ctx context.Context, payload []byte) (Result, error) {
	in, err := p.acquire(ctx)
	if err != nil {
		return Result{}, err
	}
	defer func() { p.idle <- in }()
	return in.invoke(p.client, payload)
}

func (p *Pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case <-p.done:
		return nil, ErrStopped
	default:
	}
	var in *instance
	select {
	case in = <-p.idle:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, ErrStopped
	}
	if !in.exited() {
		return in, nil
	}
	// The member crashed: replace it in place, so the pool keeps its size.
	p.logf(in.n, "aws-lambda-rie exited (%v); restarting", in.waitErr)
	fresh, err := p.launch(context.WithoutCancel(ctx), in.n)
	if err == nil {
		err = p.replace(in, fresh)
	}
	if err != nil {
		p.idle <- in // still dead: the next caller tries again
		return nil, err
	}
	return fresh, nil
}

// replace puts a restarted member in the crashed one's slot, unless Stop has already run.
func (p *Pool) replace(crashed, fresh *instance) error {
	p.mu.Lock()
	stopped := p.stopped
	if !stopped {
		p.members[fresh.n-1] = fresh
		p.retired = append(p.retired, crashed)
	}
	p.mu.Unlock()
	if stopped {
		_ = fresh.stop()
		return ErrStopped
	}
	return nil
}

// Pids lists the pool's live processes: each RIE and the bootstraps it started.
func (p *Pool) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for _, in := range p.members {
		if in != nil && !in.exited() {
			pids = append(pids, in.cmd.Process.Pid)
			pids = append(pids, proc.Children(in.cmd.Process.Pid)...)
		}
	}
	return pids
}

// Stop ends every member and its bootstrap and waits for them. Invocations in flight fail.
// Safe to call more than once.
func (p *Pool) Stop() error {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopped = true
		close(p.done)
		members := append([]*instance(nil), p.members...)
		retired := append([]*instance(nil), p.retired...)
		p.mu.Unlock()
		var wg sync.WaitGroup
		errs := make([]error, len(members))
		for i, in := range members {
			if in != nil {
				wg.Go(func() { errs[i] = in.stop() })
			}
		}
		wg.Wait()
		// A crashed RIE's bootstrap exits once its next poll fails, closing the output.
		for _, in := range retired {
			select {
			case <-in.copied:
			case <-time.After(stopGrace):
			}
		}
		p.stopErr = errors.Join(errs...)
	})
	return p.stopErr
}

// logf writes one line for member n, prefixed with the function's name and n.
func (p *Pool) logf(n int, format string, args ...any) {
	if p.opts.Log != nil {
		fmt.Fprintf(p.opts.Log, "%s#%d | %s\n", p.fn.Name, n, fmt.Sprintf(format, args...))
	}
}

// invokeResult reads RIE's answer to an invocation.
func invokeResult(status int, body []byte) error {
	switch {
	case status == http.StatusOK && bytes.HasPrefix(body, []byte("Task timed out after ")):
		return fmt.Errorf("%w: %s", ErrTimeout, body)
	case status == http.StatusOK:
		return errorDocument(body)
	case status == http.StatusBadGateway:
		// An init failure or a crashed runtime; the body, if any, is the error document.
		if err := errorDocument(body); err != nil {
			return err
		}
		return &FunctionError{Type: "Runtime.ExitError", Message: "the function failed or exited (see its log)"}
	default:
		return fmt.Errorf("rie: invoke answered %d: %s", status, bytes.TrimSpace(body))
	}
}

// errorDocument returns a *FunctionError when body is Lambda's error document
// {"errorMessage","errorType"[,"stackTrace"]} and nothing else.
func errorDocument(body []byte) error {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	var e struct {
		Message *string `json:"errorMessage"`
		Type    *string `json:"errorType"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == nil || e.Type == nil {
		return nil
	}
	for k := range doc {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return nil
		}
	}
	return &FunctionError{Type: *e.Type, Message: *e.Message}
}

// newRequestID returns a random UUID (version 4), the form of Lambda's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// reportWait bounds the wait for a REPORT line after RIE answered: it is printed before
// the answer is written, but reaches us through a pipe read by another goroutine.
const reportWait = 2 * time.Second
