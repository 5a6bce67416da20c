package rie

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

// startPool builds testdata/fn and runs it under a real aws-lambda-rie. It fails, never
// skips, when RIE cannot be built or started.
func startPool(t *testing.T, size int) *Pool {
	t.Helper()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", bootstrap, "./testdata/fn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build testdata/fn: %v\n%s", err, out)
	}
	bin, err := Binary(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(ctx, Function{
		Name:       "TestFunction",
		Bootstrap:  bootstrap,
		Env:        map[string]string{"GREETING": "hello"},
		Timeout:    1,
		MemorySize: 128,
	}, Options{RIE: bin, Size: size, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	})
	return p
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(string(b[:len(b)-1]))
	return len(b), nil
}

type answer struct {
	Env string `json:"env"`
	Pid int    `json:"pid"`
}

func invoke(t *testing.T, p *Pool, req string) (answer, Report, error) {
	t.Helper()
	res, err := p.Invoke(context.Background(), []byte(req))
	var a answer
	if err == nil {
		if jerr := json.Unmarshal(res.Payload, &a); jerr != nil {
			t.Fatalf("payload %s: %v", res.Payload, jerr)
		}
	}
	return a, res.Report, err
}

func TestPool(t *testing.T) {
	p := startPool(t, 1)

	a, rep, err := invoke(t, p, `{"env":"GREETING"}`)
	if err != nil || a.Env != "hello" {
		t.Fatalf("first invoke: %+v, %v; want env hello", a, err)
	}
	if !rep.Cold() || rep.RuntimeInit <= 0 || rep.Duration <= 0 || rep.Function != "TestFunction" || rep.Instance != 1 {
		t.Errorf("first report %+v: want a cold start with durations", rep)
	}
	t.Logf("cold: Init Duration %v, runtime init %v, Duration %v", rep.InitDuration, rep.RuntimeInit, rep.Duration)

	if a, _, _ := invoke(t, p, `{"env":"HOME"}`); a.Env != "" {
		t.Errorf("HOME = %q inside the function: the environment must be the function's only", a.Env)
	}
	if _, rep, _ := invoke(t, p, `{}`); rep.Cold() || rep.Duration <= 0 {
		t.Errorf("warm report %+v: want no init", rep)
	}

	t.Run("handler error", func(t *testing.T) {
		_, _, err := invoke(t, p, `{"fail":"boom"}`)
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Message != "boom" {
			t.Errorf("got %v, want a FunctionError boom", err)
		}
	})

	t.Run("timeout, then a re-init", func(t *testing.T) {
		if _, _, err := invoke(t, p, `{"sleep":"3s"}`); !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
		if _, rep, err := invoke(t, p, `{}`); err != nil || rep.RuntimeInit <= 0 {
			t.Errorf("after a timeout: %+v, %v; want success with a new init", rep, err)
		}
	})

	t.Run("bootstrap crash", func(t *testing.T) {
		var fe *FunctionError
		if _, _, err := invoke(t, p, `{"exit":true}`); !errors.As(err, &fe) {
			t.Fatalf("got %v, want a FunctionError", err)
		}
		if _, _, err := invoke(t, p, `{}`); err != nil {
			t.Errorf("after a crash: %v", err)
		}
	})

	t.Run("RIE killed is replaced", func(t *testing.T) {
		before := p.Pids()
		if err := syscall.Kill(before[0], syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, before)
		if _, _, err := invoke(t, p, `{}`); err != nil {
			t.Errorf("after RIE was killed: %v", err)
		}
	})

	t.Run("queued while busy", func(t *testing.T) {
		// One member, four callers: RIE would crash on a second concurrent invoke.
		start := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, _, errs[i] = invoke(t, p, `{"sleep":"100ms"}`) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 400*time.Millisecond {
			t.Errorf("4 invocations of 100ms on one member took %v: not serialized", d)
		}
	})

	t.Run("caller gives up while queued", func(t *testing.T) {
		var busy sync.WaitGroup
		busy.Go(func() { _, _ = p.Invoke(context.Background(), []byte(`{"sleep":"500ms"}`)) })
		defer busy.Wait()
		time.Sleep(100 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := p.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want DeadlineExceeded", err)
		}
	})
}

func TestStopLeavesNoProcess(t *testing.T) {
	p := startPool(t, 2)
	var wg sync.WaitGroup
	for range 2 { // both members start a bootstrap
		wg.Go(func() { _, _, _ = invoke(t, p, `{"sleep":"200ms"}`) })
	}
	wg.Wait()
	pids := p.Pids()
	if len(pids) != 4 {
		t.Fatalf("pids %v: want 2 RIEs and 2 bootstraps", pids)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pids)
	if _, err := p.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrStopped) {
		t.Errorf("invoke after Stop: %v, want ErrStopped", err)
	}
}

func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for proc.Alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d still running", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
