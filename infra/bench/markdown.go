package bench

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// WriteMarkdown prints the report as markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# jwtauth performance report\n\n")
	fmt.Fprintf(&b, "%s · %s, %d cores, %s/%s, %s · the run took %s.  \n", r.Date, r.Machine.CPU, r.Machine.Cores, r.Machine.OS, r.Machine.Arch, r.Machine.Go, time.Duration(r.Seconds*float64(time.Second)).Round(time.Second))
	fmt.Fprintf(&b, "One shared, noisy machine: compare ratios (endpoint to endpoint, run to run), not absolutes.\n")
	if r.E2E != nil {
		r.e2e(&b)
	}
	if r.Handlers != nil {
		r.inProcess(&b)
		r.roundTrips(&b)
	}
	if r.Functions != nil {
		r.coldStarts(&b)
	}
	if r.Cost != nil {
		r.cost(&b)
		r.tuning(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) e2e(b *strings.Builder) {
	e := r.E2E
	fmt.Fprintf(b, "\n## End to end: %s\n\n", e.Target)
	if e.Target == "local stack" {
		fmt.Fprintf(b, "Through the local HTTP API gateway and aws-lambda-rie (one process per virtual client and function), DynamoDB Local in memory; client, server and database share the machine's %d cores.\n", r.Machine.Cores)
	}
	fmt.Fprintf(b, "Each virtual client sends its next request once the last is answered (closed loop); refresh rotates each client's own token chain, as a mobile app does. "+
		"Requests per endpoint: %d warm-up at concurrency %d (not measured), %d at concurrency 1, %d at concurrency %d; login and register (argon2id) %d, %d and %d. Latencies in ms.\n\n",
		e.Fast.Warmup, e.Concurrency, e.Fast.Serial, e.Fast.Parallel, e.Concurrency, e.Argon2.Warmup, e.Argon2.Serial, e.Argon2.Parallel)
	fmt.Fprintf(b, "| endpoint | p50 | p90 | p99 | max | req/s at c=%d | p50 at c=%d | p99 at c=%d | errors |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", e.Concurrency, e.Concurrency, e.Concurrency)
	var errs []string
	for _, ep := range e.Endpoints {
		s, p := ep.Serial, ep.Parallel
		fmt.Fprintf(b, "| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %d |\n", ep.Endpoint, s.P50, s.P90, s.P99, s.Max, p.Throughput, p.P50, p.P99, s.Errors+p.Errors)
		for _, ph := range []Phase{s, p} {
			if ph.FirstError != "" {
				errs = append(errs, fmt.Sprintf("- %s at concurrency %d: %s", ep.Endpoint, ph.Concurrency, ph.FirstError))
			}
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(b, "\nFirst error of each phase that had one:\n%s\n", strings.Join(errs, "\n"))
	}
}

func (r *Report) inProcess(b *strings.Builder) {
	fmt.Fprintf(b, "\n## In process: each handler over DynamoDB Local\n\n")
	fmt.Fprintf(b, "`go test -bench -benchtime %s` of `functions/*/bench_test.go`: the handler called with an `http.Request`, production argon2id parameters, one DynamoDB Local (a JVM on this machine). "+
		"CPU is this process's own (user + system), so time minus CPU is mostly waiting for DynamoDB Local.\n\n", r.BenchTime)
	fmt.Fprintf(b, "| endpoint | benchmark | iterations | ms/op | CPU ms/op | allocs/op | KiB/op |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, h := range r.Handlers {
		fmt.Fprintf(b, "| %s | %s | %d | %.3f | %.3f | %.0f | %.1f |\n", h.Endpoint, h.Benchmark, h.Iterations, h.NsPerOp/1e6, h.CPUNsPerOp/1e6, h.AllocsPerOp, h.BytesPerOp/1024)
	}
	if len(r.Pure) > 0 {
		fmt.Fprintf(b, "\nThe parts without I/O (`shared/token`, `shared/password`):\n\n| benchmark | iterations | µs/op | allocs/op | KiB/op |\n|---|--:|--:|--:|--:|\n")
		for _, p := range r.Pure {
			fmt.Fprintf(b, "| %s.%s | %d | %.1f | %.0f | %.1f |\n", p.Package[strings.LastIndex(p.Package, "/")+1:], p.Name, p.Iterations, p.NsPerOp/1e3, p.AllocsPerOp, p.BytesPerOp/1024)
		}
	}
}

func (r *Report) roundTrips(b *strings.Builder) {
	fmt.Fprintf(b, "\n## DynamoDB round trips and capacity per request\n\n")
	fmt.Fprintf(b, "Counted by an SDK middleware on the handlers' client in the benchmarks above, which also sets `ReturnConsumedCapacity: TOTAL`; "+
		"units are what DynamoDB Local reports (it may round differently from DynamoDB, e.g. for items that do not exist). Budgets from DESIGN.md; `go test ./infra/bench` asserts them.\n\n")
	fmt.Fprintf(b, "| endpoint | calls | by operation | budget | within | read units | write units | log bytes |\n|---|--:|---|---|---|--:|--:|--:|\n")
	for _, h := range r.Handlers {
		var ops []string
		for _, op := range slices.Sorted(maps.Keys(h.CallsByOp)) {
			ops = append(ops, fmt.Sprintf("%g %s", h.CallsByOp[op], op))
		}
		within := "yes"
		if h.BudgetError != "" {
			within = "**NO**"
		}
		fmt.Fprintf(b, "| %s | %g | %s | %s | %s | %g | %g | %.0f |\n", h.Endpoint, h.Calls, strings.Join(ops, ", "), h.Budget, within, h.ReadUnits, h.WriteUnits, h.LogBytes)
	}
}

func (r *Report) coldStarts(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Cold starts and sizes\n\n")
	fmt.Fprintf(b, "Each function's first invocation in fresh aws-lambda-rie processes (a second stack, sharing the end-to-end run's warmed-up DynamoDB Local), "+
		"one request at a time: register, login, refresh, verify. "+
		"Runtime init is the emulator's INIT REPORT (process start to the bootstrap's first poll, Lambda's Init Duration); "+
		"under the emulator a cold invocation's REPORT Duration includes that init. Warm is REPORT Duration of the same requests sent to the processes that served the end-to-end run. "+
		"Sizes are the stripped `bootstrap` binaries `make build-<LogicalId>` builds (Lambda runs arm64). Times in ms.\n\n")
	fmt.Fprintf(b, "| function | memory | cold starts | runtime init p50 | max | cold Duration p50 | max | warm Duration p50 | arm64 | amd64 |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, f := range r.Functions {
		fmt.Fprintf(b, "| %s | %d MB | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |\n", f.Function, f.MemoryMB, f.ColdStarts, f.InitP50, f.InitMax, f.FirstP50, f.FirstMax, f.WarmP50, mib(f.SizeArm64), mib(f.SizeAmd64))
	}
}

func (r *Report) cost(b *strings.Builder) {
	c := r.Cost
	p := c.Prices
	fmt.Fprintf(b, "\n## Cost (%s list prices of %s, no free tier)\n\n", p.Region, p.Date)
	fmt.Fprintf(b, "Duration on Lambda is an estimate: the CPU time measured above stretched by Lambda's CPU share (memory / %d MB, at most one core), "+
		"plus the time spent waiting for DynamoDB (DynamoDB Local's here), billed per started ms at the function's memory size from template.yaml. "+
		"Logs are the function's request line plus ~%d bytes of START/END/REPORT. Dollars per million requests:\n\n", fullCoreMB, platformLogBytes)
	fmt.Fprintf(b, "| endpoint | function | memory | CPU ms | wait ms | est. ms | billed ms | Lambda | HTTP API | DynamoDB | logs | total |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, e := range c.Endpoints {
		m := e.PerMillion
		fmt.Fprintf(b, "| %s | %s | %d MB | %.2f | %.2f | %.2f | %.0f | %.3f | %.3f | %.3f | %.3f | **%.3f** |\n", e.Endpoint, e.Function, e.MemoryMB, e.CPUMs, e.WaitMs, e.EstimatedMs, e.BilledMs, m.Lambda, m.HTTPAPI, m.DynamoDB, m.Logs, m.Total)
	}
	pr := c.Profile
	fmt.Fprintf(b, "\nUsage profile of one monthly active user: %g days of use a month, %g minutes a day in %g app opens; "+
		"a refresh every %g minutes of use; %.2f logins a month (one a week); %g GET me and %g verify per app open; %g registrations per MAU (new users). "+
		"That is %.0f requests per MAU and month:", pr.DaysPerMonth, pr.MinutesPerDay, pr.SessionsPerDay, pr.RefreshEveryMinutes, pr.LoginsPerMonth, pr.MePerSession, pr.VerifyPerSession, pr.RegistersPerMonth, c.PerMAU)
	for _, e := range c.Endpoints {
		fmt.Fprintf(b, " %s %.1f", e.Endpoint, e.PerMonth)
	}
	fmt.Fprintf(b, ".\n\n| MAU | requests a month | this API | Cognito Lite | Cognito Essentials | Essentials / this API |\n|--:|--:|--:|--:|--:|--:|\n")
	for _, m := range c.Monthly {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %.0f× |\n", count(m.MAU), count(int(m.Requests)), usd(m.USD), usd(m.CognitoLite), usd(m.CognitoEssentials), m.CognitoEssentials/m.USD)
	}
	fmt.Fprintf(b, "\nThis API's month includes the signing key's secret ($%.2f). Not included: data transfer out, DynamoDB storage (about a KB per user), "+
		"Secrets Manager API calls (one per warm instance every 5 minutes), volume discounts. Free tiers would lower both sides: Lambda 1M requests and 400,000 GB-s a month; "+
		"Cognito Lite and Essentials 10,000 MAU. Cognito Lite is priced by MAU band: ", p.SecretMonth)
	var tiers []string
	below := 0
	for _, t := range p.CognitoLite {
		if t.UpTo == 0 {
			tiers = append(tiers, fmt.Sprintf("$%g above %s", t.USD, count(below)))
			continue
		}
		tiers = append(tiers, fmt.Sprintf("$%g up to %s", t.USD, count(t.UpTo)))
		below = t.UpTo
	}
	fmt.Fprintf(b, "%s; Essentials $%g per MAU.\n\n", strings.Join(tiers, ", "), p.CognitoEssentials)
	fmt.Fprintf(b, "| price | USD | source |\n|---|--:|---|\n")
	fmt.Fprintf(b, "| Lambda arm64 duration, per GB-second | %.10f | %s |\n", p.LambdaGBSecond, p.Sources["Lambda (arm64 duration, requests)"])
	fmt.Fprintf(b, "| Lambda requests, per million | %g | %s |\n", p.LambdaRequestsM, p.Sources["Lambda (arm64 duration, requests)"])
	fmt.Fprintf(b, "| HTTP API requests, per million | %g | %s |\n", p.HTTPAPIRequestsM, p.Sources["API Gateway HTTP API"])
	fmt.Fprintf(b, "| DynamoDB on-demand read request units, per million | %g | %s |\n", p.ReadUnitsM, p.Sources["DynamoDB on-demand request units"])
	fmt.Fprintf(b, "| DynamoDB on-demand write request units, per million | %g | %s |\n", p.WriteUnitsM, p.Sources["DynamoDB on-demand request units"])
	fmt.Fprintf(b, "| CloudWatch Logs ingestion, per GB | %g | %s |\n", p.LogsGB, p.Sources["CloudWatch Logs ingestion"])
	fmt.Fprintf(b, "| Secrets Manager secret, per month | %g | %s |\n", p.SecretMonth, p.Sources["Secrets Manager (the signing key)"])
	fmt.Fprintf(b, "| Cognito Essentials, per MAU | %g | %s |\n", p.CognitoEssentials, p.Sources["Cognito user pools (Lite, Essentials)"])
}

func (r *Report) tuning(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Memory size (estimate)\n\n")
	fmt.Fprintf(b, "The same model at other memory sizes: estimated ms / dollars per million requests (all services). "+
		"An estimate, not a measurement: it assumes one core here equals one Lambda vCPU and that the CPU share scales linearly (short bursts run faster than that). "+
		"* marks template.yaml's size.\n\n| endpoint | function |")
	for _, mb := range tuningSizesMB {
		fmt.Fprintf(b, " %d MB |", mb)
	}
	fmt.Fprintf(b, "\n|---|---|%s\n", strings.Repeat("--:|", len(tuningSizesMB)))
	for _, t := range r.Cost.Tuning {
		fmt.Fprintf(b, "| %s | %s |", t.Endpoint, t.Function)
		for _, o := range t.Options {
			mark := ""
			if o.MemoryMB == t.MemoryMB {
				mark = "*"
			}
			fmt.Fprintf(b, " %s%.1f / $%.2f |", mark, o.EstimatedMs, o.USDPerM)
		}
		fmt.Fprintf(b, "\n")
	}
	if len(r.Pure) > 0 {
		for _, p := range r.Pure {
			if p.Name == "VerifyOWASP" {
				fmt.Fprintf(b, "\nOne argon2id verification (m=19 MiB, t=2, p=1) takes %.1f ms of one core here; login does one, register one hash. ", p.NsPerOp/1e6)
			}
		}
	}
	fmt.Fprintf(b, "Below %d MB a CPU-bound request's duration grows as memory shrinks, so its price barely changes while its latency does. "+
		"Hence the sizes: the argon2id functions (login; register, which also sizes UsersFunction's GET me) get enough memory for a login well under 100 ms, "+
		"refresh and verify, mostly waiting for DynamoDB, the least that keeps them within a few milliseconds.\n", fullCoreMB)
}

// mib formats a size in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// usd formats dollars with cents and thousands separators.
func usd(x float64) string {
	cents := int(math.Round(x * 100))
	return fmt.Sprintf("$%s.%02d", count(cents/100), cents%100)
}

// count formats an integer with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
