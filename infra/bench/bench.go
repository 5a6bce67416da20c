// Package bench is `make bench`: it measures the API end to end over HTTP (the local stack
// it starts, or any djoser-compatible server), each handler in process against DynamoDB
// Local (the functions' benchmarks, with their DynamoDB round trips and capacity), cold
// starts under aws-lambda-rie and the binaries' sizes, and turns the figures into a cost
// model and memory-size estimates. Performance is measured here, never asserted as a
// time limit in tests.
package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/localstack"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// Options for Run. The zero value measures everything with the defaults below.
type Options struct {
	Root string // module root; "" = found from the working directory
	// BaseURL, when set, is a djoser-compatible server to measure end to end instead of
	// the local stack; nothing else is measured then.
	BaseURL    string
	BenchTime  string // go test -benchtime of the in-process benchmarks; "" = 1s
	ColdStarts int    // per function; 0 = 8
	E2E        E2EOptions
	Progress   io.Writer // one line per step; nil = none
}

// DefaultE2E keeps `make bench` within a few minutes on two cores, where login and
// register cost tens of milliseconds of argon2id each.
var DefaultE2E = E2EOptions{
	Concurrency: 8,
	Fast:        Counts{Warmup: 40, Serial: 400, Parallel: 800},
	Argon2:      Counts{Warmup: 16, Serial: 60, Parallel: 120},
}

// Report holds every figure; WriteMarkdown prints it, encoding/json gives it as JSON.
type Report struct {
	Date      string     `json:"date"`
	Machine   Machine    `json:"machine"`
	Seconds   float64    `json:"seconds"` // how long the run took
	BenchTime string     `json:"benchtime,omitempty"`
	E2E       *E2E       `json:"end_to_end"`
	Handlers  []Handler  `json:"in_process,omitempty"`
	Pure      []Bench    `json:"pure,omitempty"`
	Functions []Function `json:"functions,omitempty"`
	Cost      *Cost      `json:"cost,omitempty"`
}

// Machine is where the figures were measured.
type Machine struct {
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
	OS    string `json:"os"`
	Arch  string `json:"arch"`
	Go    string `json:"go"`
}

// Run measures and returns the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	rep := &Report{Date: start.Format(time.DateOnly), Machine: machine()}
	defer func() { rep.Seconds = time.Since(start).Seconds() }()
	if opts.BaseURL != "" {
		logf(opts.Progress, "end to end against %s ...", opts.BaseURL)
		var err error
		rep.E2E, err = MeasureE2E(ctx, opts.BaseURL, opts.E2E)
		return rep, err
	}
	rep.BenchTime = opts.BenchTime
	tpl, err := samtemplate.Load(filepath.Join(opts.Root, "template.yaml"), nil)
	if err != nil {
		return nil, err
	}

	logf(opts.Progress, "building the functions for arm64 and amd64 (make build-<LogicalId>) ...")
	sizes, err := binarySizes(ctx, opts.Root, tpl.Functions)
	if err != nil {
		return nil, err
	}

	logf(opts.Progress, "in-process benchmarks (go test -bench, -benchtime %s) ...", opts.BenchTime)
	benches, err := goBench(ctx, opts.Root, opts.BenchTime, append(handlerPackages(), purePackages...))
	if err != nil {
		return nil, err
	}
	if rep.Handlers, err = handlers(benches); err != nil {
		return nil, err
	}
	rep.Pure = inPackages(benches, purePackages)
	if rep.Cost, err = Model(tpl, rep.Handlers, DefaultProfile, DefaultPrices); err != nil {
		return nil, err
	}

	rep.E2E, rep.Functions, err = measureStack(ctx, opts, tpl, sizes)
	return rep, err
}

// measureStack measures the API end to end through a local stack (DynamoDB Local in
// memory) and then, one request at a time, warm invocations on it and cold starts on a
// second stack of fresh processes sharing its DynamoDB Local, by then warmed up: a JVM's
// first requests would slow the cold starts.
func measureStack(ctx context.Context, opts Options, tpl *samtemplate.Template, sizes map[string]map[string]int64) (_ *E2E, _ []Function, err error) {
	dataDir, err := os.MkdirTemp("", "jwtauth-bench-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dataDir)
	logf(opts.Progress, "starting the local stack (FRESH, %d processes per function) ...", opts.E2E.Concurrency)
	warmRec := &recorder{}
	stack, err := localstack.Start(ctx, localstack.Options{Root: opts.Root, Fresh: true, DataDir: dataDir, Pool: opts.E2E.Concurrency, OnRequest: warmRec.add})
	if err != nil {
		return nil, nil, err
	}
	defer func() { err = errors.Join(err, stack.Stop()) }()
	logf(opts.Progress, "end to end through %s ...", stack.URL())
	e2e, err := MeasureE2E(ctx, stack.URL(), opts.E2E)
	if err != nil {
		return nil, nil, err
	}
	e2e.Target = "local stack"
	warm, err := rounds(ctx, stack.URL(), opts.ColdStarts, warmRec)
	if err != nil {
		return nil, nil, err
	}

	logf(opts.Progress, "%d cold starts per function on a second stack ...", opts.ColdStarts)
	coldRec := &recorder{}
	fresh, err := localstack.Start(ctx, localstack.Options{
		Root:             opts.Root,
		DataDir:          dataDir,
		Pool:             opts.ColdStarts,
		DynamoDBEndpoint: stack.DynamoDBEndpoint(),
		OnRequest:        coldRec.add,
	})
	if err != nil {
		return nil, nil, err
	}
	defer func() { err = errors.Join(err, fresh.Stop()) }()
	cold, err := rounds(ctx, fresh.URL(), opts.ColdStarts, coldRec)
	if err != nil {
		return nil, nil, err
	}
	return e2e, functions(tpl, cold, warm, sizes), nil
}

func (o *Options) defaults() error {
	if o.BaseURL == "" && o.Root == "" {
		root, err := dynamolocal.ModuleRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.BenchTime == "" {
		o.BenchTime = "1s"
	}
	if o.ColdStarts <= 0 {
		o.ColdStarts = 8
	}
	if o.E2E.Concurrency <= 0 {
		log := o.E2E.Log
		o.E2E = DefaultE2E
		o.E2E.Log = log
	}
	if o.E2E.Log == nil {
		o.E2E.Log = o.Progress
	}
	return nil
}

// machine describes this machine; the CPU model comes from /proc/cpuinfo where there is one.
func machine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			m.CPU = strings.TrimSpace(v)
			break
		}
	}
	return m
}
