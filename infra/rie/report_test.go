package rie

import (
	"errors"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		kind    lineKind
		rep     Report
		initDur time.Duration
		text    string
	}{
		{
			name: "cold report",
			line: "REPORT RequestId: 25e7d52d-bff5-4720-bc7c-fa29a9e3ac1c\tInit Duration: 0.99 ms\tDuration: 10.56 ms\tBilled Duration: 11 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t",
			kind: lineReport,
			rep:  Report{RequestID: "25e7d52d-bff5-4720-bc7c-fa29a9e3ac1c", InitDuration: 990 * time.Microsecond, Duration: 10560 * time.Microsecond},
		},
		{
			name: "warm report",
			line: "REPORT RequestId: x\tDuration: 0.85 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\t",
			kind: lineReport,
			rep:  Report{RequestID: "x", Duration: 850 * time.Microsecond},
		},
		{name: "start", line: "START RequestId: x Version: $LATEST", kind: lineQuiet},
		{name: "end", line: "END RequestId: x", kind: lineQuiet},
		{name: "init report", line: "04 Dec 2026 17:22:23,571 [INFO] (rapid) INIT REPORT(durationMs: 8.713000)", kind: lineInit, initDur: 8713 * time.Microsecond},
		{name: "rapid info", line: "04 Dec 2026 17:22:22,398 [INFO] (rapid) exec './bootstrap' (cwd=/x, handler=)", kind: lineQuiet},
		{
			name: "rapid warning",
			line: "04 Dec 2026 17:25:57,751 [WARNING] (rapid) Reset initiated: Timeout",
			kind: lineWarning,
			text: "rie: [WARNING] Reset initiated: Timeout",
		},
		{name: "function json log", line: `{"time":"2026-12-04T17:25:46Z","level":"WARN","msg":"store unavailable"}`, kind: lineFunction},
		{name: "function plain log", line: "2026/12/04 17:22:23 hello", kind: lineFunction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, rep, initDur, text := classify(tt.line)
			if kind != tt.kind || rep != tt.rep || initDur != tt.initDur || text != tt.text {
				t.Errorf("got %v %+v %v %q, want %v %+v %v %q", kind, rep, initDur, text, tt.kind, tt.rep, tt.initDur, tt.text)
			}
		})
	}
}

func TestInvokeResult(t *testing.T) {
	var fe *FunctionError
	tests := []struct {
		name   string
		status int
		body   string
		check  func(error) bool
	}{
		{"success", 200, `{"statusCode":200,"body":"{}"}`, func(err error) bool { return err == nil }},
		{"not json", 200, `hello`, func(err error) bool { return err == nil }},
		{"timeout", 200, "Task timed out after 10.00 seconds", func(err error) bool { return errors.Is(err, ErrTimeout) }},
		{"handler error", 200, `{"errorMessage":"boom","errorType":"errorString"}`, func(err error) bool {
			return errors.As(err, &fe) && fe.Type == "errorString" && fe.Message == "boom"
		}},
		{"panic", 200, `{"errorMessage":"x","errorType":"runtime.Error","stackTrace":[]}`, func(err error) bool { return errors.As(err, &fe) }},
		{"error-like document with more fields", 200, `{"errorMessage":"x","errorType":"y","statusCode":200}`, func(err error) bool { return err == nil }},
		{"init failure", 502, "", func(err error) bool { return errors.As(err, &fe) && fe.Type == "Runtime.ExitError" }},
		{"unexpected status", 500, "", func(err error) bool { return err != nil && !errors.As(err, &fe) && !errors.Is(err, ErrTimeout) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := invokeResult(tt.status, []byte(tt.body)); !tt.check(err) {
				t.Errorf("invokeResult(%d, %q) = %v", tt.status, tt.body, err)
			}
		})
	}
}
