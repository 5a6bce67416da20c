// Package localstack runs the whole API on one machine, without Docker or an AWS account:
// the functions' bootstrap binaries under aws-lambda-rie (package rie), DynamoDB Local
// (package dynamolocal) with the tables template.yaml declares, and a local API Gateway
// HTTP API (package gateway) routing as template.yaml says. `make run` is its command;
// tests start a Stack on free ports.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/gateway"
	"github.com/jwtauth/jwtauth/infra/rie"
	"github.com/jwtauth/jwtauth/infra/samtemplate"
)

// Options for Start. The zero value serves on a free port of 127.0.0.1 with data under
// the module's .local/.
type Options struct {
	Root    string // module root (template.yaml, Makefile); "" = found from the working directory
	Host    string // "" = 127.0.0.1
	Port    int    // 0 = a free port
	DataDir string // DynamoDB Local's data and the generated signing key; "" = <Root>/.local
	Fresh   bool   // DynamoDB Local in memory: start empty, keep nothing
	Pool    int    // RIE processes per function; 0 = 2
	// DynamoDBEndpoint, when set, is used instead of starting DynamoDB Local.
	DynamoDBEndpoint string
	// Env is the caller's environment: PARAM_<Name> overrides a template Parameter, a
	// variable the template sets for a function overrides it, SIGNING_KEY or SIGNING_KEYS
	// is the signing key, AWS_REGION and AWS credentials are passed on. Nothing else
	// reaches the functions.
	Env map[string]string
	// Log receives progress, the functions' output and one line per request; nil = discarded.
	Log io.Writer
	// OnRequest, if set, is called after each request with what the gateway observed.
	OnRequest func(gateway.Entry)
}

// Stack is a running local API.
type Stack struct {
	opts     Options
	tpl      *samtemplate.Template
	log      io.Writer
	db       *dynamolocal.Server // nil when DynamoDBEndpoint is used
	endpoint string              // DynamoDB's
	pools    []*rie.Pool
	server   *http.Server
	url      string
	served   chan struct{} // closed when Serve has returned

	stopOnce sync.Once
	stopErr  error
}

// Start builds the functions, starts DynamoDB (or uses DynamoDBEndpoint), creates the
// tables, starts every function's RIE pool and serves the API. It returns once requests
// are served. On error nothing it started is left running. ctx bounds the start only.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	s := &Stack{opts: opts, log: &lockedWriter{w: opts.Log}}
	if opts.Log == nil {
		s.log = io.Discard
	}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()
	if err := s.resolve(); err != nil {
		return nil, err
	}

	if s.tpl, err = samtemplate.Load(filepath.Join(s.opts.Root, "template.yaml"), paramOverrides(opts.Env)); err != nil {
		return nil, err
	}
	if err := checkFunctions(s.tpl); err != nil {
		return nil, err
	}
	// Take the port first: a taken one fails before minutes of building.
	addr := net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("port %d on %s is in use: stop what listens there or choose another with PORT=", s.opts.Port, s.opts.Host)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.server = &http.Server{ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(s.log, "gateway: ", 0)}
	defer func() {
		if s.served == nil {
			ln.Close()
		}
	}()

	s.logf("building %d functions for linux/%s and aws-lambda-rie ...", len(s.tpl.Functions), hostArch())
	bootstraps, rieBin, err := build(ctx, s.opts.Root, s.tpl.Functions)
	if err != nil {
		return nil, err
	}

	s.endpoint = s.opts.DynamoDBEndpoint
	if s.endpoint == "" {
		dbOpts, where := s.dynamoDBOptions(0)
		if s.db, err = dynamolocal.Start(ctx, dbOpts); err != nil {
			return nil, err
		}
		s.endpoint = s.db.Endpoint()
		s.logf("DynamoDB Local on %s, %s", s.endpoint, where)
	}
	if err := ensureTables(ctx, s.endpoint, s.tpl.Tables); err != nil {
		return nil, err
	}

	keyName, key, err := signingKey(s.opts.Env, s.opts.DataDir)
	if err != nil {
		return nil, err
	}
	invokers := map[string]gateway.Invoker{}
	for _, fn := range s.tpl.Functions {
		pool, err := rie.Start(ctx, rie.Function{
			Name:       fn.LogicalID,
			Bootstrap:  bootstraps[fn.LogicalID],
			Env:        functionEnv(fn, s.opts.Env, s.endpoint, keyName, key),
			Timeout:    fn.Timeout,
			MemorySize: fn.MemorySize,
		}, rie.Options{RIE: rieBin, Size: s.opts.Pool, Log: s.log})
		if err != nil {
			return nil, err
		}
		s.pools = append(s.pools, pool)
		invokers[fn.LogicalID] = pool
	}

	gw, err := gateway.New(gateway.Options{Template: s.tpl, Functions: invokers, Observe: s.observe})
	if err != nil {
		return nil, err
	}
	s.server.Handler = gw
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.logf("gateway: %v", err)
		}
	}()
	return s, nil
}

// resolve fills in the defaults.
func (s *Stack) resolve() error {
	o := &s.opts
	if o.Root == "" {
		root, err := dynamolocal.ModuleRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Pool <= 0 {
		o.Pool = 2
	}
	if o.DataDir == "" {
		o.DataDir = filepath.Join(o.Root, ".local")
	}
	var err error
	if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
		return err
	}
	return os.MkdirAll(o.DataDir, 0o755)
}

// checkFunctions refuses functions the local runtime cannot run as Lambda would.
func checkFunctions(t *samtemplate.Template) error {
	for _, fn := range t.Functions {
		if fn.BuildMethod != "makefile" {
			return fmt.Errorf("template.yaml: function %s: BuildMethod %q: the local runtime builds only BuildMethod makefile (make build-%s)", fn.LogicalID, fn.BuildMethod, fn.LogicalID)
		}
		if !strings.HasPrefix(fn.Runtime, "provided.") {
			return fmt.Errorf("template.yaml: function %s: Runtime %q: the local runtime runs only custom runtimes (provided.al2023) with a bootstrap binary", fn.LogicalID, fn.Runtime)
		}
	}
	return nil
}

func (s *Stack) observe(e gateway.Entry) {
	s.logf("%s", e)
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(e)
	}
}

func (s *Stack) logf(format string, args ...any) {
	fmt.Fprintf(s.log, format+"\n", args...)
}

// URL is the API's base URL, "http://127.0.0.1:3000".
func (s *Stack) URL() string { return s.url }

// DynamoDBEndpoint is the DynamoDB the functions use.
func (s *Stack) DynamoDBEndpoint() string { return s.endpoint }

// Pids lists every process the stack runs: DynamoDB Local, each RIE and its bootstrap.
func (s *Stack) Pids() []int {
	var pids []int
	if s.db != nil {
		pids = append(pids, s.db.Pid())
	}
	for _, p := range s.pools {
		pids = append(pids, p.Pids()...)
	}
	return pids
}

// Stop lets requests in flight finish (up to a few seconds), then ends every process the
// stack started and waits for them. Safe to call more than once.
func (s *Stack) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.served != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.server.Shutdown(ctx); err != nil {
				_ = s.server.Close()
			}
			cancel()
			<-s.served
		}
		var wg sync.WaitGroup
		poolErrs := make([]error, len(s.pools))
		for i, p := range s.pools {
			wg.Go(func() { poolErrs[i] = p.Stop() })
		}
		wg.Wait()
		errs = append(errs, poolErrs...)
		if s.db != nil {
			errs = append(errs, s.db.Stop())
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// Summary is what `make run` prints once the stack is up: the URL, the routes and a first
// request to try.
func (s *Stack) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\njwtauth API on %s  (Ctrl-C stops everything)\n\nroutes (each also with a trailing slash):\n", s.url)
	for _, fn := range s.tpl.Functions {
		for _, rt := range fn.Routes {
			fmt.Fprintf(&b, "  %-30s %s\n", rt.RouteKey(), fn.LogicalID)
		}
	}
	fmt.Fprintf(&b, "\ntry:\n  curl -i %s/auth/users/ -H 'Content-Type: application/json' \\\n"+
		"    -d '{\"email\":\"alice@example.com\",\"password\":\"An0ther-Passw0rd!\",\"first_name\":\"Alice\",\"last_name\":\"Smith\"}'\n"+
		"  curl -i %s/auth/jwt/create/ -H 'Content-Type: application/json' \\\n"+
		"    -d '{\"email\":\"alice@example.com\",\"password\":\"An0ther-Passw0rd!\"}'\n\n", s.url, s.url)
	return b.String()
}

// lockedWriter serialises writes from the gateway and every RIE's log reader.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
