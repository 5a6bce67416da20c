package bench

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/localstack"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// TestRoundTripBudgets runs the handlers' benchmarks once each against DynamoDB Local,
// as make bench does, and holds every endpoint to DESIGN.md's round-trip budget.
func TestRoundTripBudgets(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute) // a first run compiles the test binaries
	defer cancel()
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := MeasureHandlers(ctx, root, "1x")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range Endpoints {
		h := hs[i]
		t.Logf("%s: %g calls %v, %g RRU, %g WRU", e.Name, h.Calls, h.CallsByOp, h.ReadUnits, h.WriteUnits)
		if err := e.CheckBudget(h); err != nil {
			t.Error(err)
		}
		// A meter that saw nothing would pass the budget: the endpoints that read or write
		// must have been seen to, with the capacity DynamoDB reported.
		if e.MaxCalls > 0 && (h.Calls < 1 || h.ReadUnits+h.WriteUnits == 0) {
			t.Errorf("%s: %g calls, %g RRU, %g WRU measured; want at least one call and its consumed capacity", e.Name, h.Calls, h.ReadUnits, h.WriteUnits)
		}
	}
}

// TestBaseURL is `BASE_URL=<url> make bench` against a local stack started on its own:
// only the end-to-end part runs, every request answered as expected.
func TestBaseURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute) // a first run builds everything
	defer cancel()
	stack, err := localstack.Start(ctx, localstack.Options{Fresh: true, DataDir: t.TempDir(), Pool: 2})
	if err != nil {
		t.Fatalf("the stack did not start: %v", err)
	}
	t.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			t.Error(err)
		}
	})

	counts := Counts{Warmup: 2, Serial: 5, Parallel: 6}
	rep, err := Run(ctx, Options{BaseURL: stack.URL() + "/", E2E: E2EOptions{Concurrency: 2, Fast: counts, Argon2: counts}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Handlers != nil || rep.Functions != nil || rep.Cost != nil {
		t.Errorf("with BASE_URL only the end-to-end part should run: %+v", rep)
	}
	if rep.E2E == nil || len(rep.E2E.Endpoints) != len(Endpoints) {
		t.Fatalf("got end-to-end results %+v, want one per endpoint", rep.E2E)
	}
	for i, ep := range rep.E2E.Endpoints {
		if ep.Endpoint != Endpoints[i].Name {
			t.Errorf("endpoint %d: got %s, want %s", i, ep.Endpoint, Endpoints[i].Name)
		}
		for _, p := range []struct {
			phase Phase
			want  int
		}{{ep.Serial, counts.Serial}, {ep.Parallel, counts.Parallel}} {
			if p.phase.Requests != p.want || p.phase.Errors != 0 {
				t.Errorf("%s at concurrency %d: got %d answered, %d errors (%s), want %d answered", ep.Endpoint, p.phase.Concurrency, p.phase.Requests, p.phase.Errors, p.phase.FirstError, p.want)
			}
			if p.phase.P50 <= 0 || p.phase.P99 < p.phase.P50 || p.phase.Throughput <= 0 {
				t.Errorf("%s at concurrency %d: implausible figures %+v", ep.Endpoint, p.phase.Concurrency, p.phase)
			}
		}
	}
	var md strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if want := "## End to end: " + stack.URL(); !strings.Contains(md.String(), want) {
		t.Errorf("the report lacks %q:\n%s", want, md.String())
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Error(err)
	}
}

func TestCognitoLite(t *testing.T) {
	for _, c := range []struct {
		mau  int
		want float64
	}{
		{10_000, 55},
		{100_000, 550},
		{1_000_000, 550 + 900_000*0.0046},
		{20_000_000, 550 + 900_000*0.0046 + 9_000_000*0.00325 + 10_000_000*0.0025},
	} {
		if got := DefaultPrices.cognitoLite(c.mau); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%d MAU: got $%.4f, want $%.4f", c.mau, got, c.want)
		}
	}
}

// TestModel checks the cost model's arithmetic on figures chosen by hand.
func TestModel(t *testing.T) {
	root, err := dynamolocal.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fn, _, _ := tpl.Match("POST", "/auth/jwt/create/")
	login := Handler{Endpoint: "login", NsPerOp: 35e6, CPUNsPerOp: 25e6, ReadUnits: 2, LogBytes: 200}
	c, err := Model(tpl, []Handler{login}, DefaultProfile, DefaultPrices)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Endpoints[0]
	wantMs := 10 + 25*math.Max(fullCoreMB/float64(fn.MemorySize), 1)
	if math.Abs(e.EstimatedMs-wantMs) > 1e-9 || e.BilledMs != math.Ceil(wantMs) {
		t.Errorf("got %.3f ms billed %g, want %.3f billed %g", e.EstimatedMs, e.BilledMs, wantMs, math.Ceil(wantMs))
	}
	p := DefaultPrices
	want := Breakdown{
		Lambda:   p.LambdaRequestsM + 1e6*float64(fn.MemorySize)/1024*math.Ceil(wantMs)/1000*p.LambdaGBSecond,
		HTTPAPI:  p.HTTPAPIRequestsM,
		DynamoDB: 2 * p.ReadUnitsM,
		Logs:     1e6 * (200 + platformLogBytes) / (1 << 30) * p.LogsGB,
	}
	want.Total = want.Lambda + want.HTTPAPI + want.DynamoDB + want.Logs
	if got := e.PerMillion; math.Abs(got.Total-want.Total) > 1e-9 || math.Abs(got.Lambda-want.Lambda) > 1e-9 {
		t.Errorf("got $%+v per million, want $%+v", got, want)
	}
	perMonth := DefaultProfile.Requests()["login"]
	if got, want := c.Monthly[0].USD, float64(c.Monthly[0].MAU)*perMonth*want.Total/1e6+p.SecretMonth; math.Abs(got-want) > 1e-9 {
		t.Errorf("%d MAU: got $%.4f a month, want $%.4f", c.Monthly[0].MAU, got, want)
	}
	var md strings.Builder
	if err := (&Report{Handlers: []Handler{login}, Cost: c}).WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## Cost", "## Memory size", "| login | CreateFunction |"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("the report lacks %q", s)
		}
	}
}

func TestCheckBudget(t *testing.T) {
	register, _ := endpoint("register")
	refresh, _ := endpoint("refresh")
	for _, c := range []struct {
		name string
		e    Endpoint
		h    Handler
		ok   bool
	}{
		{"register in one transaction", register, Handler{Calls: 1, CallsByOp: map[string]float64{"TransactWriteItems": 1}}, true},
		{"register with a read first", register, Handler{Calls: 2, CallsByOp: map[string]float64{"GetItem": 1, "TransactWriteItems": 1}}, false},
		{"register without a transaction", register, Handler{Calls: 1, CallsByOp: map[string]float64{"PutItem": 1}}, false},
		{"refresh in two calls", refresh, Handler{Calls: 2, CallsByOp: map[string]float64{"GetItem": 1, "UpdateItem": 1}}, true},
		{"refresh in three calls", refresh, Handler{Calls: 3, CallsByOp: map[string]float64{"GetItem": 2, "UpdateItem": 1}}, false},
	} {
		if err := c.e.CheckBudget(c.h); (err == nil) != c.ok {
			t.Errorf("%s: got %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
