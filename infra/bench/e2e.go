package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Counts are the requests sent for one endpoint.
type Counts struct {
	Warmup   int `json:"warmup"`   // at the options' Concurrency, not measured
	Serial   int `json:"serial"`   // at concurrency 1, for latency
	Parallel int `json:"parallel"` // at the options' Concurrency, for throughput
}

// E2EOptions configure MeasureE2E.
type E2EOptions struct {
	Concurrency int    // virtual clients in the parallel phase
	Fast        Counts // for endpoints without argon2id
	Argon2      Counts // for login and register
	Log         io.Writer
}

// E2E is what a server answered over HTTP.
type E2E struct {
	Target      string        `json:"target"`
	Concurrency int           `json:"concurrency"`
	Fast        Counts        `json:"requests_fast"`
	Argon2      Counts        `json:"requests_argon2"`
	Endpoints   []E2EEndpoint `json:"endpoints"`
}

// E2EEndpoint is one endpoint at concurrency 1 and at the options' Concurrency.
type E2EEndpoint struct {
	Endpoint string `json:"endpoint"`
	Serial   Phase  `json:"serial"`
	Parallel Phase  `json:"parallel"`
}

// Phase is a fixed number of requests sent by Concurrency virtual clients, each waiting
// for its answer before its next request. Latencies are in milliseconds and cover only
// the requests answered as expected.
type Phase struct {
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"` // answered as expected
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	Seconds     float64 `json:"seconds"`
	Throughput  float64 `json:"requests_per_second"`
	P50         float64 `json:"p50_ms"`
	P90         float64 `json:"p90_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
}

// benchPassword passes Django's and our validators.
const benchPassword = "An0ther-Passw0rd!"

// MeasureE2E sends every endpoint's requests to the djoser-compatible API at baseURL. It
// registers its own accounts (bench-<random>-<n>@example.com) and uses them for the rest.
func MeasureE2E(ctx context.Context, baseURL string, opts E2EOptions) (*E2E, error) {
	r := newRunner(baseURL, opts.Concurrency)
	out := &E2E{Target: r.base, Concurrency: opts.Concurrency, Fast: opts.Fast, Argon2: opts.Argon2}
	for _, ep := range Endpoints {
		counts := opts.Fast
		if ep.Argon2 {
			counts = opts.Argon2
		}
		clients, err := r.clients(ctx, ep.Name, opts.Concurrency)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: prepare the clients: %w", ep.Name, err)
		}
		r.phase(ctx, ep.Name, clients, counts.Warmup)
		res := E2EEndpoint{Endpoint: ep.Name}
		res.Serial = r.phase(ctx, ep.Name, clients[:1], counts.Serial)
		res.Parallel = r.phase(ctx, ep.Name, clients, counts.Parallel)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		logf(opts.Log, "end to end: %-8s c=1 p50 %.2f ms, c=%d %.0f req/s, %d errors", ep.Name, res.Serial.P50, opts.Concurrency, res.Parallel.Throughput, res.Serial.Errors+res.Parallel.Errors)
		out.Endpoints = append(out.Endpoints, res)
	}
	return out, nil
}

// runner is an HTTP client of the API shared by its virtual clients.
type runner struct {
	base string
	http *http.Client
	run  string // in the e-mails, so runs against one server never collide

	mu       sync.Mutex
	accounts []account
	seq      atomic.Int64
}

type account struct{ email, password string }

// vclient is one virtual client: a mobile app with its account and tokens.
type vclient struct {
	acct            account
	access, refresh string
}

func newRunner(baseURL string, conns int) *runner {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = conns // keep-alive, as an app keeps its connection
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return &runner{
		base: strings.TrimRight(baseURL, "/"),
		http: &http.Client{Transport: t, Timeout: time.Minute},
		run:  hex.EncodeToString(b),
	}
}

// clients prepares n virtual clients for endpoint ep: an account each (except to register),
// and a session (login) for the endpoints that need tokens.
func (r *runner) clients(ctx context.Context, ep string, n int) ([]*vclient, error) {
	out := make([]*vclient, n)
	for i := range out {
		c := &vclient{}
		out[i] = c
		if ep == "register" {
			continue
		}
		r.mu.Lock()
		if len(r.accounts) == 0 {
			r.mu.Unlock()
			return nil, errors.New("no account was registered")
		}
		c.acct = r.accounts[i%len(r.accounts)]
		r.mu.Unlock()
		if ep != "login" {
			if err := r.do(ctx, "login", c); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// phase sends n requests of ep, spread over the clients, and measures them.
func (r *runner) phase(ctx context.Context, ep string, clients []*vclient, n int) Phase {
	var next atomic.Int64
	var mu sync.Mutex
	var errs int
	var first string
	hists := make([]*hdrhistogram.Histogram, len(clients))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range clients {
		hists[i] = newHistogram()
		wg.Go(func() {
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				t := time.Now()
				err := r.do(ctx, ep, c)
				d := time.Since(t)
				if err != nil {
					mu.Lock()
					if errs++; first == "" {
						first = err.Error()
					}
					mu.Unlock()
					continue
				}
				_ = hists[i].RecordValue(d.Microseconds()) // beyond the range only past the client's timeout
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := newHistogram()
	for _, h := range hists {
		all.Merge(h)
	}
	p := Phase{
		Concurrency: len(clients),
		Requests:    int(all.TotalCount()),
		Errors:      errs,
		FirstError:  first,
		Seconds:     elapsed.Seconds(),
		P50:         millis(all.ValueAtQuantile(50)),
		P90:         millis(all.ValueAtQuantile(90)),
		P99:         millis(all.ValueAtQuantile(99)),
		Max:         millis(all.Max()),
	}
	if elapsed > 0 {
		p.Throughput = float64(p.Requests) / elapsed.Seconds()
	}
	return p
}

// newHistogram records microseconds from 1 µs to 10 minutes with 3 significant digits.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
}

func millis(us int64) float64 { return float64(us) / 1000 }

type tokens struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

// do sends one request of the endpoint named ep as client c, and keeps what a mobile app
// would keep.
func (r *runner) do(ctx context.Context, ep string, c *vclient) error {
	e, ok := endpoint(ep)
	if !ok {
		return fmt.Errorf("bench: unknown endpoint %q", ep)
	}
	switch ep {
	case "register":
		a := account{email: fmt.Sprintf("bench-%s-%d@example.com", r.run, r.seq.Add(1)), password: benchPassword}
		body := map[string]string{"email": a.email, "password": a.password, "first_name": "Bench", "last_name": "User"}
		if err := r.send(ctx, e, body, "", http.StatusCreated, nil); err != nil {
			return err
		}
		c.acct = a
		r.mu.Lock()
		r.accounts = append(r.accounts, a)
		r.mu.Unlock()
		return nil
	case "login":
		var t tokens
		body := map[string]string{"email": c.acct.email, "password": c.acct.password}
		if err := r.send(ctx, e, body, "", http.StatusOK, &t); err != nil {
			return err
		}
		c.access, c.refresh = t.Access, t.Refresh
		return nil
	case "me":
		return r.send(ctx, e, nil, c.access, http.StatusOK, nil)
	case "refresh":
		var t tokens
		if err := r.send(ctx, e, map[string]string{"refresh": c.refresh}, "", http.StatusOK, &t); err != nil {
			return err
		}
		c.access = t.Access
		if t.Refresh != "" { // simplejwt answers without one unless ROTATE_REFRESH_TOKENS
			c.refresh = t.Refresh
		}
		return nil
	default: // verify
		return r.send(ctx, e, map[string]string{"token": c.access}, "", http.StatusOK, nil)
	}
}

// send makes one request to e and checks its status; into, if set, receives the JSON answer.
func (r *runner) send(ctx context.Context, e Endpoint, body any, access string, want int, into any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, e.Method, r.base+e.Path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		const show = 200
		if len(data) > show {
			data = data[:show]
		}
		return fmt.Errorf("%s %s: got %d %s, want %d", e.Method, e.Path, resp.StatusCode, data, want)
	}
	if into != nil {
		return json.Unmarshal(data, into)
	}
	return nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
