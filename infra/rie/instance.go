package rie

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

const (
	readyTimeout = 10 * time.Second
	stopGrace    = 5 * time.Second
	portAttempts = 3 // a picked free port can be taken before RIE binds it
	tailLines    = 20
	// invokeGrace is how long past the function's Timeout we wait for RIE's answer before
	// giving up on it; RIE enforces the timeout itself.
	invokeGrace = 10 * time.Second
)

// errPortInUse means RIE could not bind one of its two ports.
var errPortInUse = errors.New("port in use")

// instance is one aws-lambda-rie process.
type instance struct {
	pool    *Pool
	n       int // slot, from 1
	cmd     *exec.Cmd
	url     string      // the invoke endpoint
	reports chan Report // parsed REPORT lines, for the invocation waiting on them

	done     chan struct{} // closed once the process has been reaped
	waitErr  error         // cmd.Wait's result, valid after done
	copied   chan struct{} // closed once all output has been read
	stopping atomic.Bool   // hides RIE's shutdown chatter

	mu    sync.Mutex
	tail  []string // last lines, for errors
	bound bool     // RIE said a port was taken
}

func (p *Pool) launch(ctx context.Context, n int) (*instance, error) {
	for attempt := 1; ; attempt++ {
		in, err := p.launchOnce(ctx, n)
		if errors.Is(err, errPortInUse) && attempt < portAttempts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("rie: %s#%d: %w", p.fn.Name, n, err)
		}
		return in, nil
	}
}

func (p *Pool) launchOnce(ctx context.Context, n int) (*instance, error) {
	ports, err := proc.FreePorts(2)
	if err != nil {
		return nil, err
	}
	invokeAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	runtimeAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	bootstrap, err := filepath.Abs(p.fn.Bootstrap)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.opts.RIE,
		// Explicit, so a LOG_LEVEL in the function's environment cannot hide INIT REPORT.
		"--log-level", "info",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = p.environ()
	cmd.SysProcAttr = proc.SysProcAttr()
	// stdout carries START/END/REPORT and the bootstrap's stdout, stderr RIE's log and the
	// bootstrap's stderr: merged, their lines keep their order.
	pr, err := proc.StartMerged(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", p.opts.RIE, err)
	}
	in := &instance{
		pool:    p,
		n:       n,
		cmd:     cmd,
		url:     "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		reports: make(chan Report, 4),
		done:    make(chan struct{}),
		copied:  make(chan struct{}),
	}
	go func() {
		defer close(in.copied)
		in.read(pr)
		pr.Close()
	}()
	go func() {
		in.waitErr = cmd.Wait()
		close(in.done)
	}()
	if err := in.waitReady(ctx, invokeAddr, runtimeAddr); err != nil {
		_ = in.stop()
		return nil, err
	}
	return in, nil
}

// environ is the function's environment plus what Lambda sets for every function; RIE
// passes its whole environment on to the bootstrap.
func (p *Pool) environ() []string {
	env := map[string]string{}
	for k, v := range p.fn.Env {
		env[k] = v
	}
	env["AWS_LAMBDA_FUNCTION_NAME"] = p.fn.Name
	env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(p.fn.Timeout)
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(p.fn.MemorySize)
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (in *instance) waitReady(ctx context.Context, invokeAddr, runtimeAddr string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	// RIE binds the runtime API in a goroutine and panics if that fails, so it is ready
	// once both ports answer and it is still running.
	for _, addr := range []string{invokeAddr, runtimeAddr} {
		for !dial(addr) {
			if err := in.failed(); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("not ready on %s: %w; last output:\n%s", addr, ctx.Err(), in.lastLines())
			case <-tick.C:
			}
		}
	}
	return in.failed()
}

func dial(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// failed reports an exit seen so far.
func (in *instance) failed() error {
	if !in.exited() {
		return nil
	}
	<-in.copied
	in.mu.Lock()
	bound := in.bound
	in.mu.Unlock()
	if bound {
		return errPortInUse
	}
	return fmt.Errorf("aws-lambda-rie exited early (%v); last output:\n%s", in.waitErr, in.lastLines())
}

func (in *instance) exited() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

// invoke sends one invocation and waits for its answer and REPORT line.
func (in *instance) invoke(client *http.Client, payload []byte) (Result, error) {
	id := newRequestID()
	timeout := time.Duration(in.pool.fn.Timeout)*time.Second + invokeGrace
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url, bytes.NewReader(payload))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("X-Amzn-RequestId", id) // RIE's request id, so its REPORT line is ours
	resp, err := client.Do(req)
	if err != nil {
		if in.exited() {
			return Result{}, fmt.Errorf("rie: %s#%d: aws-lambda-rie exited (%v)", in.pool.fn.Name, in.n, in.waitErr)
		}
		// RIE may still be busy with this invocation, and a second one would crash it: stop
		// it, so the pool restarts it before its next use.
		_ = in.stop()
		return Result{}, fmt.Errorf("rie: %s#%d: invoke: %w", in.pool.fn.Name, in.n, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return Result{}, fmt.Errorf("rie: %s#%d: read answer: %w", in.pool.fn.Name, in.n, err)
	}
	res := Result{Payload: body}
	if resp.StatusCode == http.StatusOK { // RIE prints no REPORT on its error paths
		res.Report = in.awaitReport(id)
	}
	return res, invokeResult(resp.StatusCode, body)
}

func (in *instance) awaitReport(id string) Report {
	timer := time.NewTimer(reportWait)
	defer timer.Stop()
	for {
		select {
		case r := <-in.reports:
			if r.RequestID == id {
				return r
			}
		case <-timer.C:
			return Report{Function: in.pool.fn.Name, Instance: in.n, RequestID: id}
		}
	}
}

// read copies RIE's output line by line: the function's lines go to the log, RIE's
// bookkeeping becomes Reports.
func (in *instance) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var initDur time.Duration // from INIT REPORT, for the next REPORT
	for sc.Scan() {
		line := sc.Text()
		in.remember(line)
		kind, rep, d, text := classify(line)
		switch kind {
		case lineFunction:
			in.pool.logf(in.n, "%s", line)
		case lineWarning:
			if !in.stopping.Load() {
				in.pool.logf(in.n, "%s", text)
			}
		case lineInit:
			initDur = d
		case lineReport:
			rep.Function, rep.Instance, rep.RuntimeInit = in.pool.fn.Name, in.n, initDur
			initDur = 0
			select {
			case in.reports <- rep:
			default: // nobody is waiting (a report arrived late): never block the reader
			}
		}
	}
	// Keep draining past an over-long line so RIE never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}

func (in *instance) remember(line string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if strings.Contains(line, "address already in use") {
		in.bound = true
	}
	in.tail = append(in.tail, line)
	if len(in.tail) > tailLines {
		in.tail = in.tail[len(in.tail)-tailLines:]
	}
}

func (in *instance) lastLines() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.tail) == 0 {
		return "  (no output)"
	}
	return "  " + strings.Join(in.tail, "\n  ")
}

// stop ends RIE and its bootstrap. On SIGTERM RIE kills the bootstrap's process group
// and reaps it before exiting; if RIE does not exit in time, both are killed here.
func (in *instance) stop() error {
	in.stopping.Store(true)
	if !in.exited() {
		pid := in.cmd.Process.Pid
		bootstraps := proc.Children(pid)
		_ = proc.KillGroup(pid, syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(stopGrace):
			_ = proc.KillGroup(pid, syscall.SIGKILL)
			for _, b := range bootstraps {
				_ = proc.KillGroup(b, syscall.SIGKILL)
			}
			select {
			case <-in.done:
			case <-time.After(stopGrace):
				return fmt.Errorf("rie: %s#%d: pid %d did not exit after SIGKILL", in.pool.fn.Name, in.n, pid)
			}
		}
	}
	<-in.copied // no writes to the log after stop returns
	return nil
}
