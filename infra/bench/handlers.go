package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/jwtauth/jwtauth/infra/bench/benchtest"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
)

// Endpoint is one kind of request, measured end to end, in process (by the benchmark
// Benchmark<Benchmark> in Package, see functions/*/bench_test.go) and in the cost model.
type Endpoint struct {
	Name      string // verify, me, refresh, login, register
	Method    string
	Path      string
	Package   string
	Benchmark string
	Argon2    bool // hashes or verifies a password: tens of milliseconds of CPU
	// The round-trip budget of DESIGN.md: at most MaxCalls DynamoDB calls, all of them
	// operation Only when set.
	MaxCalls int
	Only     string
}

// Endpoints in the order they are measured end to end: register first, whose accounts the
// others use.
var Endpoints = []Endpoint{
	{Name: "register", Method: http.MethodPost, Path: "/auth/users/", Package: "./functions/users", Benchmark: "Register", Argon2: true, MaxCalls: 1, Only: "TransactWriteItems"},
	{Name: "login", Method: http.MethodPost, Path: "/auth/jwt/create/", Package: "./functions/create", Benchmark: "Login", Argon2: true, MaxCalls: 2},
	{Name: "me", Method: http.MethodGet, Path: "/auth/users/me/", Package: "./functions/users", Benchmark: "Me", MaxCalls: 1},
	{Name: "refresh", Method: http.MethodPost, Path: "/auth/jwt/refresh/", Package: "./functions/refresh", Benchmark: "Refresh", MaxCalls: 2},
	{Name: "verify", Method: http.MethodPost, Path: "/auth/jwt/verify/", Package: "./functions/verify", Benchmark: "Verify", MaxCalls: 0},
}

// Budget describes the endpoint's round-trip budget.
func (e Endpoint) Budget() string {
	if e.Only != "" {
		return fmt.Sprintf("%d %s", e.MaxCalls, e.Only)
	}
	return fmt.Sprintf("≤ %d", e.MaxCalls)
}

// CheckBudget reports how h exceeds the endpoint's round-trip budget, or nil.
func (e Endpoint) CheckBudget(h Handler) error {
	if h.Calls > float64(e.MaxCalls) {
		return fmt.Errorf("%s: %.2f DynamoDB calls per request %v, budget %s", e.Name, h.Calls, h.CallsByOp, e.Budget())
	}
	if e.Only != "" && h.CallsByOp[e.Only] != h.Calls {
		return fmt.Errorf("%s: DynamoDB calls per request %v, budget %s", e.Name, h.CallsByOp, e.Budget())
	}
	return nil
}

// purePackages hold the benchmarks of the parts without I/O (token, argon2id, validators).
var purePackages = []string{"./shared/token", "./shared/password"}

// Bench is one `go test -bench` result.
type Bench struct {
	Package     string             `json:"package"`
	Name        string             `json:"name"` // without the Benchmark prefix
	Iterations  int                `json:"iterations"`
	NsPerOp     float64            `json:"ns_per_op"`
	BytesPerOp  float64            `json:"bytes_per_op"`
	AllocsPerOp float64            `json:"allocs_per_op"`
	Metrics     map[string]float64 `json:"metrics,omitempty"` // every other unit, as reported
}

// Handler is an endpoint's in-process figures: its handler over DynamoDB Local.
type Handler struct {
	Endpoint    string             `json:"endpoint"`
	Package     string             `json:"package"`
	Benchmark   string             `json:"benchmark"`
	Iterations  int                `json:"iterations"`
	NsPerOp     float64            `json:"ns_per_op"`
	CPUNsPerOp  float64            `json:"cpu_ns_per_op"`
	BytesPerOp  float64            `json:"bytes_per_op"`
	AllocsPerOp float64            `json:"allocs_per_op"`
	Calls       float64            `json:"dynamodb_calls"`
	CallsByOp   map[string]float64 `json:"dynamodb_calls_by_operation"`
	ReadUnits   float64            `json:"read_request_units"`
	WriteUnits  float64            `json:"write_request_units"`
	LogBytes    float64            `json:"log_bytes"`
	Budget      string             `json:"budget"`
	BudgetError string             `json:"budget_error,omitempty"`
}

// MeasureHandlers runs the endpoints' benchmarks (go test -bench in root, each for
// benchtime) and returns their figures in Endpoints' order.
func MeasureHandlers(ctx context.Context, root, benchtime string) ([]Handler, error) {
	benches, err := goBench(ctx, root, benchtime, handlerPackages())
	if err != nil {
		return nil, err
	}
	return handlers(benches)
}

// handlerPackages are the packages of the endpoints' benchmarks.
func handlerPackages() []string {
	var pkgs []string
	for _, e := range Endpoints {
		if !slices.Contains(pkgs, e.Package) {
			pkgs = append(pkgs, e.Package)
		}
	}
	return pkgs
}

// handlers picks the endpoints' results out of benches.
func handlers(benches []Bench) ([]Handler, error) {
	var out []Handler
	for _, e := range Endpoints {
		b, ok := find(benches, e.Package, e.Benchmark)
		if !ok {
			return nil, fmt.Errorf("bench: no result for Benchmark%s in %s", e.Benchmark, e.Package)
		}
		h := Handler{
			Endpoint: e.Name, Package: b.Package, Benchmark: "Benchmark" + b.Name, Iterations: b.Iterations,
			NsPerOp: b.NsPerOp, BytesPerOp: b.BytesPerOp, AllocsPerOp: b.AllocsPerOp,
			CPUNsPerOp: b.Metrics[benchtest.UnitCPU],
			Calls:      b.Metrics[benchtest.UnitCalls],
			ReadUnits:  b.Metrics[benchtest.UnitReadUnits],
			WriteUnits: b.Metrics[benchtest.UnitWriteUnits],
			LogBytes:   b.Metrics[benchtest.UnitLogBytes],
			CallsByOp:  map[string]float64{},
			Budget:     e.Budget(),
		}
		for unit, v := range b.Metrics {
			if op, ok := strings.CutSuffix(unit, "-"+benchtest.UnitCalls); ok {
				h.CallsByOp[op] = v
			}
		}
		if err := e.CheckBudget(h); err != nil {
			h.BudgetError = err.Error()
		}
		out = append(out, h)
	}
	return out, nil
}

// inPackages are the results of benches from pkgs.
func inPackages(benches []Bench, pkgs []string) []Bench {
	var out []Bench
	for _, b := range benches {
		if slices.ContainsFunc(pkgs, b.in) {
			out = append(out, b)
		}
	}
	return out
}

func find(benches []Bench, pkg, name string) (Bench, bool) {
	for _, b := range benches {
		if b.in(pkg) && b.Name == name {
			return b, true
		}
	}
	return Bench{}, false
}

// in reports whether b is from pkg, a path relative to the module root ("./shared/token").
func (b Bench) in(pkg string) bool { return strings.HasSuffix(b.Package, strings.TrimPrefix(pkg, ".")) }

// goBench runs every benchmark of pkgs, one package after another (go test serialises
// benchmark runs), and parses the results.
func goBench(ctx context.Context, root, benchtime string, pkgs []string) ([]Bench, error) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchtime", benchtime, "-benchmem", "-count", "1"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.SysProcAttr = proc.SysProcAttr()
	// Cancelling kills go test's whole group: the test binaries and their DynamoDB Local.
	cmd.Cancel = func() error { return proc.KillGroup(cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bench: go %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return parseBench(&stdout)
}

func parseBench(out *bytes.Buffer) ([]Bench, error) {
	var benches []Bench
	r := benchfmt.NewReader(out, "go test")
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue // a unit metadata line or a syntax error in test output
		}
		b := Bench{Package: res.GetConfig("pkg"), Name: string(res.Name.Base()), Iterations: res.Iters, Metrics: map[string]float64{}}
		for _, v := range res.Values {
			unit, value := v.Unit, v.Value
			if v.OrigUnit != "" { // the reader tidies ns/op into sec/op; keep the units as reported
				unit, value = v.OrigUnit, v.OrigValue
			}
			switch unit {
			case "ns/op":
				b.NsPerOp = value
			case "B/op":
				b.BytesPerOp = value
			case "allocs/op":
				b.AllocsPerOp = value
			default:
				b.Metrics[unit] = value
			}
		}
		benches = append(benches, b)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("bench: parse go test output: %w", err)
	}
	return benches, nil
}
