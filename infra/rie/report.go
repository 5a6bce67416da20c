package rie

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Report is what aws-lambda-rie reports about one invocation.
type Report struct {
	Function  string // the function's name
	Instance  int    // which member of the pool served it, from 1
	RequestID string // the Lambda request id (RIE's REPORT RequestId)
	// Duration is REPORT's Duration. On a cold start it includes starting the bootstrap
	// and its init, because RIE begins the init asynchronously.
	Duration time.Duration
	// InitDuration is REPORT's Init Duration, set on the first invocation of an RIE
	// process only. RIE measures just its call that starts the init, so it is tiny; the
	// init itself is in RuntimeInit.
	InitDuration time.Duration
	// RuntimeInit is the init phase (process start to the bootstrap's first poll) from
	// rapid's INIT REPORT line; set whenever this invocation started a bootstrap, which
	// includes the re-init after a timeout or crash. Zero when warm.
	RuntimeInit time.Duration
}

// Cold reports whether the invocation started a bootstrap.
func (r Report) Cold() bool { return r.RuntimeInit > 0 || r.InitDuration > 0 }

// rapidLine matches the emulator's own log lines: "04 Dec 2026 17:22:23,563 [INFO] (rapid) ...".
var rapidLine = regexp.MustCompile(`^\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[(\w+)\] \(rapid\) (.*)$`)

// lineKind sorts RIE's output: the function's own lines are shown, RIE's bookkeeping is
// replaced by one line per request.
type lineKind int

const (
	lineFunction lineKind = iota // the bootstrap's output, or anything unrecognised
	lineQuiet                    // START, END, rapid's INFO and DEBUG
	lineWarning                  // rapid's WARNING, ERROR, ...: shown
	lineReport                   // REPORT RequestId: ...
	lineInit                     // rapid's INIT REPORT(durationMs: ...)
)

// classify tells what line is; for lineReport it fills rep (without Function, Instance
// and RuntimeInit), for lineInit the init duration, for lineWarning the text to show.
func classify(line string) (kind lineKind, rep Report, initDur time.Duration, text string) {
	switch {
	case strings.HasPrefix(line, "REPORT RequestId: "):
		return lineReport, parseReport(line), 0, ""
	case strings.HasPrefix(line, "START RequestId: "), strings.HasPrefix(line, "END RequestId: "):
		return lineQuiet, Report{}, 0, ""
	}
	m := rapidLine.FindStringSubmatch(line)
	if m == nil {
		return lineFunction, Report{}, 0, ""
	}
	level, msg := m[1], m[2]
	if rest, ok := strings.CutPrefix(msg, "INIT REPORT(durationMs: "); ok {
		if ms, err := strconv.ParseFloat(strings.TrimSuffix(rest, ")"), 64); err == nil {
			return lineInit, Report{}, millis(ms), ""
		}
	}
	if level == "INFO" || level == "DEBUG" {
		return lineQuiet, Report{}, 0, ""
	}
	return lineWarning, Report{}, 0, "rie: [" + level + "] " + msg
}

// parseReport reads "REPORT RequestId: id\tInit Duration: 0.99 ms\tDuration: 10.56 ms\t...".
func parseReport(line string) Report {
	var r Report
	for _, field := range strings.Split(strings.TrimPrefix(line, "REPORT "), "\t") {
		key, value, ok := strings.Cut(field, ": ")
		if !ok {
			continue
		}
		switch key {
		case "RequestId":
			r.RequestID = value
		case "Duration":
			r.Duration = parseMillis(value)
		case "Init Duration":
			r.InitDuration = parseMillis(value)
		}
	}
	return r
}

func parseMillis(s string) time.Duration {
	ms, err := strconv.ParseFloat(strings.TrimSuffix(s, " ms"), 64)
	if err != nil {
		return 0
	}
	return millis(ms)
}

func millis(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
