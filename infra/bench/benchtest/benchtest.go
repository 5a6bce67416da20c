// Package benchtest is for the functions' benchmarks (functions/*/bench_test.go), which
// `make bench` runs: a Store on DynamoDB Local whose client asks DynamoDB for the capacity
// each call consumes, and a loop that reports per request, besides time and allocations,
// the DynamoDB calls by operation, the read and write request units, the CPU time and the
// bytes of request log, the figures the cost model needs.
package benchtest

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jwtauth/jwtauth/shared/api"
	"github.com/jwtauth/jwtauth/shared/api/apitest"
	"github.com/jwtauth/jwtauth/shared/store"
	"github.com/jwtauth/jwtauth/shared/store/storetest"
	"github.com/jwtauth/jwtauth/shared/token"
)

// Metric units the benchmarks report, besides ns/op, B/op and allocs/op.
const (
	UnitCalls      = "calls/op"  // DynamoDB round trips; by operation as "GetItem-" + UnitCalls
	UnitReadUnits  = "RRU/op"    // read request units DynamoDB reported
	UnitWriteUnits = "WRU/op"    // write request units DynamoDB reported
	UnitCPU        = "cpu-ns/op" // CPU time of this process (DynamoDB Local runs in its own)
	UnitLogBytes   = "log-B/op"  // bytes the function logs (its JSON request line)
)

// Env is what a handler benchmark builds its handler from.
type Env struct {
	Store *store.Store // metered
	Deps  api.Deps     // apitest's, over Store, logging as the functions do
	meter *meter
	logs  *countingWriter
	users atomic.Int64
}

// New creates fresh tables as storetest does and a metered Store over them.
func New(b *testing.B) *Env {
	b.Helper()
	tables := storetest.New(b)
	m := &meter{}
	s := store.New(dynamodb.New(tables.Client.Options(), m.option), tables.Users, tables.Black)
	e := &Env{Store: s, meter: m, logs: &countingWriter{}}
	e.Deps = apitest.Deps(b, s, apitest.NewClock(), nil)
	// The functions log one JSON line per request to stderr (api.NewDeps); count its bytes.
	e.Deps.Log = slog.New(slog.NewJSONHandler(e.logs, nil))
	return e
}

// AddUser stores an active user with a unique e-mail and the given password hash.
func (e *Env) AddUser(b *testing.B, passwordHash string) store.User {
	b.Helper()
	u := store.User{
		ID:           token.NewUUID(),
		Email:        "bench" + strconv.FormatInt(e.users.Add(1), 10) + "@example.com",
		FirstName:    "Alice",
		LastName:     "Smith",
		PasswordHash: passwordHash,
		IsActive:     true,
	}
	if err := e.Store.CreateUser(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	return u
}

// warmUp is how long Run sends unmeasured requests first: DynamoDB Local answers its first
// calls of each kind many times slower, until the JVM has compiled them.
const warmUp = time.Second

// Run measures one request per iteration: do sends it, and its status must be want.
func (e *Env) Run(b *testing.B, want int, do func() apitest.Response) {
	b.Helper()
	b.ReportAllocs()
	for start := time.Now(); time.Since(start) < warmUp; {
		if res := do(); res.Status != want {
			b.Fatalf("warm-up: got %d %s, want %d", res.Status, res.Body, want)
		}
	}
	e.meter.reset()
	e.logs.n.Store(0)
	cpu0, cpuOK := cpuTime()
	for b.Loop() {
		if res := do(); res.Status != want {
			b.Fatalf("got %d %s, want %d", res.Status, res.Body, want)
		}
	}
	cpu1, _ := cpuTime()
	n := float64(b.N)
	if cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/n, UnitCPU)
	}
	calls, read, write := e.meter.usage()
	total := 0
	for op, c := range calls {
		total += c
		b.ReportMetric(float64(c)/n, op+"-"+UnitCalls)
	}
	b.ReportMetric(float64(total)/n, UnitCalls)
	b.ReportMetric(read/n, UnitReadUnits)
	b.ReportMetric(write/n, UnitWriteUnits)
	b.ReportMetric(float64(e.logs.n.Load())/n, UnitLogBytes)
}

type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// meter counts DynamoDB calls by operation and sums the capacity DynamoDB reports for them.
type meter struct {
	mu          sync.Mutex
	calls       map[string]int
	read, write float64
}

func (m *meter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls, m.read, m.write = nil, 0, 0
}

func (m *meter) usage() (calls map[string]int, read, write float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	calls = make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		calls[k] = v
	}
	return calls, m.read, m.write
}

func (m *meter) record(op string, units float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[op]++
	if readOps[op] {
		m.read += units
	} else {
		m.write += units
	}
}

// readOps consume read request units; every other operation the store calls writes.
var readOps = map[string]bool{"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true}
