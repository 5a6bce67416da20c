package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jwtauth/jwtauth/infra/gateway"
	"github.com/jwtauth/jwtauth/infra/localstack"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// Function is one Lambda function's cold starts, warm duration and size.
type Function struct {
	Function   string `json:"function"`
	MemoryMB   int    `json:"memory_mb"` // template.yaml's
	ColdStarts int    `json:"cold_starts"`
	// Runtime init is the init phase, from aws-lambda-rie's INIT REPORT: process start to the
	// bootstrap's first poll for work (Lambda's Init Duration).
	InitP50 float64 `json:"runtime_init_p50_ms"`
	InitMax float64 `json:"runtime_init_max_ms"`
	// First is REPORT's Duration of the cold invocation, which under the emulator includes
	// the init (it starts the init asynchronously).
	FirstP50 float64 `json:"cold_duration_p50_ms"`
	FirstMax float64 `json:"cold_duration_max_ms"`
	// WarmP50 is REPORT's Duration of the same requests sent to the processes that served
	// the end-to-end run.
	WarmP50   float64 `json:"warm_duration_p50_ms"`
	SizeArm64 int64   `json:"size_arm64_bytes"` // stripped bootstrap, as make build-<LogicalId> builds it
	SizeAmd64 int64   `json:"size_amd64_bytes"`
}

// recorder keeps what the local gateway observed.
type recorder struct {
	mu      sync.Mutex
	entries []gateway.Entry
}

func (r *recorder) add(e gateway.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

func (r *recorder) since(i int) []gateway.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]gateway.Entry(nil), r.entries[min(i, len(r.entries)):]...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// rounds sends n rounds of register, login, refresh and verify, one request at a time,
// and returns what the gateway observed of them. A pool hands requests to its idle
// processes in turn, so on a stack just started with n processes per function every
// request is a cold start.
func rounds(ctx context.Context, base string, n int, rec *recorder) ([]gateway.Entry, error) {
	mark := rec.len()
	r := newRunner(base, 1)
	sent := 0
	for range n {
		c := &vclient{}
		for _, ep := range []string{"register", "login", "refresh", "verify"} {
			if err := r.do(ctx, ep, c); err != nil {
				return nil, fmt.Errorf("bench: %s: %w", ep, err)
			}
			sent++
		}
	}
	// The gateway observes a request just after answering it.
	for deadline := time.Now().Add(2 * time.Second); rec.len()-mark < sent && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return rec.since(mark), nil
}

// functions summarises the cold starts in cold and the warm invocations in warm per
// function of the template.
func functions(tpl *samtemplate.Template, cold, warm []gateway.Entry, sizes map[string]map[string]int64) []Function {
	var out []Function
	for _, fn := range tpl.Functions {
		f := Function{Function: fn.LogicalID, MemoryMB: fn.MemorySize, SizeArm64: sizes["arm64"][fn.LogicalID], SizeAmd64: sizes["amd64"][fn.LogicalID]}
		initH, firstH, warmH := newHistogram(), newHistogram(), newHistogram()
		for _, e := range cold {
			if e.Function == fn.LogicalID && e.Report.Cold() {
				f.ColdStarts++
				_ = initH.RecordValue(e.Report.RuntimeInit.Microseconds())
				_ = firstH.RecordValue(e.Report.Duration.Microseconds())
			}
		}
		for _, e := range warm {
			if e.Function == fn.LogicalID && !e.Report.Cold() && e.Report.Duration > 0 {
				_ = warmH.RecordValue(e.Report.Duration.Microseconds())
			}
		}
		f.InitP50, f.InitMax = millis(initH.ValueAtQuantile(50)), millis(initH.Max())
		f.FirstP50, f.FirstMax = millis(firstH.ValueAtQuantile(50)), millis(firstH.Max())
		f.WarmP50 = millis(warmH.ValueAtQuantile(50))
		out = append(out, f)
	}
	return out
}

// binarySizes builds every function for arm64 and amd64 with the Makefile targets SAM
// uses and returns the sizes of the bootstraps, by architecture and logical id.
func binarySizes(ctx context.Context, root string, fns []samtemplate.Function) (map[string]map[string]int64, error) {
	dir, err := os.MkdirTemp("", "jwtauth-bench-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sizes := map[string]map[string]int64{}
	for _, arch := range []string{"arm64", "amd64"} {
		sizes[arch] = map[string]int64{}
		for _, fn := range fns {
			bootstrap, err := localstack.BuildFunction(ctx, root, fn.LogicalID, arch, filepath.Join(dir, arch, fn.LogicalID))
			if err != nil {
				return nil, err
			}
			st, err := os.Stat(bootstrap)
			if err != nil {
				return nil, err
			}
			sizes[arch][fn.LogicalID] = st.Size()
		}
	}
	return sizes, nil
}
