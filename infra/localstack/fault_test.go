package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
	"github.com/jwtauth/jwtauth/infra/gateway"
	"github.com/jwtauth/jwtauth/infra/internal/proc"
	"github.com/jwtauth/jwtauth/shared/store"
)

// The fault test: a few workers on loopback send a mixed load (register, login, me,
// verify, refresh chains, set_password) while DynamoDB Local first freezes (SIGSTOP: its
// connections hang, so the SDK and the functions' 6 s deadline are what answers) and then
// dies (SIGKILL: connections are refused) and is restarted on its data. Every answer must
// be 2xx, 4xx or the functions' own 503 with Retry-After, none slower than faultHang; the
// service must come back without restarting the functions; and every user and session
// that got a 2xx must be intact, while every write answered 503 either happened whole or
// left nothing behind.

const (
	faultWorkers = 8                // one sequential client each; the pools get one RIE per worker, as Lambda would scale
	faultHang    = 15 * time.Second // an answer slower than this is a hang
	faultSteady  = 2 * time.Second  // load before the first fault
	faultPaused  = 7 * time.Second  // frozen for longer than the functions' 6 s deadline
	faultResumed = 3 * time.Second  // load after SIGCONT
	faultKilled  = 1500 * time.Millisecond
	faultAfter   = 3 * time.Second  // load after the restart
	faultRecover = 15 * time.Second // the service must answer 2xx again within this

	deadlinePath = 5 * time.Second // a 503 slower than this came from the functions' 6 s deadline

	unavailableBody = `{"detail":"Service temporarily unavailable, try again later."}`
	emailTakenBody  = `{"email":["user with this email already exists."]}`
	blacklistedBody = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
)

// Phases of the load, for the figures.
const (
	phaseSteady = iota
	phasePaused
	phaseResumed
	phaseKilled
	phaseRestarted
	phaseCheck
	nPhases
)

var phaseNames = [nPhases]string{"steady", "paused (SIGSTOP)", "resumed (SIGCONT)", "killed (SIGKILL)", "restarted", "checks"}

func TestFaultDynamoDBOutage(t *testing.T) {
	flog := &faultLog{}
	var gw gatewayErrors
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first run builds everything
	defer cancel()
	began := time.Now()
	// On disk (DataDir, not Fresh), so the kill phase can restart DynamoDB Local on its data.
	s, err := Start(ctx, Options{DataDir: t.TempDir(), Pool: faultWorkers, Log: flog, OnRequest: gw.add})
	if err != nil {
		t.Fatalf("the stack did not start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("stack up on %s in %v, DynamoDB Local on %s (data on disk)", s.URL(), time.Since(began).Round(time.Millisecond), s.DynamoDBEndpoint())
	stats := newFaultStats()
	defer func() { // after the load has stopped, however the test ends
		for _, f := range stats.failureList() {
			t.Error(f)
		}
		for _, e := range gw.list() {
			t.Errorf("the gateway answered itself (a function failed or timed out): %s", e)
		}
		if n := flog.errorCount(); n > 0 {
			t.Errorf("the functions logged %d errors (an internal error is a 500 hidden from the client)", n)
		}
		if t.Failed() {
			flog.dump(t)
		}
	}()
	var phase atomic.Int32
	c := &faultClient{
		base:  s.URL(),
		http:  &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: faultWorkers + 2}, Timeout: faultHang + 5*time.Second},
		stats: stats,
		phase: &phase,
	}

	// A user of the test's own, whose login tells when the service is back.
	probe := &faultUser{email: "fault.probe@example.com", password: "Pr0be-Fault-Secret"}
	if _, out := c.call("register", "POST", "/auth/users/", "", probe.registerBody(), 201); out != done {
		t.Fatal("the probe user could not register on a healthy stack")
	}
	probe.state = userKnown

	workers := make([]*faultWorker, faultWorkers)
	seed := uint64(time.Now().UnixNano())
	t.Logf("workers' seed %d", seed)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		w := &faultWorker{id: i + 1, c: c, rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		workers[i] = w
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					w.step()
				}
			}
		})
	}
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()
	loadStart := time.Now()

	// The functions' processes before the faults: all must still be the same ones at the
	// end (recovery without restarting anything but DynamoDB Local).
	time.Sleep(faultSteady)
	functionPids := slices.DeleteFunc(s.Pids(), func(pid int) bool { return pid == s.db.Pid() })

	// Phase 1: DynamoDB Local frozen. Connections hang; the functions' deadline answers.
	phase.Store(phasePaused)
	pausedAt := time.Now()
	if err := s.PauseDynamoDB(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(faultPaused)
	if err := s.ResumeDynamoDB(); err != nil {
		t.Fatal(err)
	}
	resumedAt := time.Now()
	phase.Store(phaseResumed)
	resumeRecovery := waitRecovered(t, c, probe, "SIGCONT")
	time.Sleep(time.Until(resumedAt.Add(faultResumed)))

	// Phase 2: DynamoDB Local killed, then restarted on the same port and data.
	phase.Store(phaseKilled)
	killedAt := time.Now()
	if err := s.KillDynamoDB(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(faultKilled)
	restartStart := time.Now()
	if err := s.RestartDynamoDB(ctx); err != nil {
		t.Fatal(err)
	}
	restartedAt := time.Now()
	phase.Store(phaseRestarted)
	restartRecovery := waitRecovered(t, c, probe, "the restart")
	time.Sleep(time.Until(restartedAt.Add(faultAfter)))

	stopLoad()
	loadTime := time.Since(loadStart)
	phase.Store(phaseCheck)
	t.Logf("load: %d workers for %v; paused %v (from +%v), killed for %v (from +%v; restart took %v)",
		faultWorkers, loadTime.Round(time.Millisecond), resumedAt.Sub(pausedAt).Round(time.Millisecond), pausedAt.Sub(loadStart).Round(time.Millisecond),
		restartedAt.Sub(killedAt).Round(time.Millisecond), killedAt.Sub(loadStart).Round(time.Millisecond), restartedAt.Sub(restartStart).Round(time.Millisecond))
	t.Logf("service back %v after SIGCONT and %v after the restart (probe login 200)", resumeRecovery.Round(time.Millisecond), restartRecovery.Round(time.Millisecond))
	loadSent := stats.logFigures(t, "load")
	// The test must have exercised both ways DynamoDB can be away.
	if stats.deadline503.Load() == 0 {
		t.Errorf("no 503 came from the functions' deadline: the pause exercised nothing")
	}
	if stats.quick503.Load() == 0 {
		t.Errorf("no quick 503 (connection refused): the kill exercised nothing")
	}
	if n := stats.count(phaseRestarted, http.StatusServiceUnavailable); n > 0 {
		t.Errorf("%d requests sent after the restart got 503: the service did not fully resume", n)
	}

	// Every user and session the load left, checked with DynamoDB healthy again.
	checkStart := time.Now()
	var checked checkFigures
	var cwg sync.WaitGroup
	for _, w := range workers {
		cwg.Go(func() { w.check(&checked) })
	}
	cwg.Wait()
	c.checkLogin(probe, probe.password)
	checked.log(t)

	users := append([]*faultUser{probe}, allUsers(workers)...)
	scanned, bad := checkUsersTable(t, ctx, s.DynamoDBEndpoint(), users)
	t.Logf("data checked in %v: UsersTable scanned: %d users, %d problems (half a register, a user the test never made or lost)", time.Since(checkStart).Round(time.Millisecond), scanned, bad)

	alive := 0
	for _, pid := range functionPids {
		if proc.Alive(pid) {
			alive++
		} else {
			t.Errorf("function process %d (RIE or bootstrap) died during the faults: recovery must not need a restart", pid)
		}
	}
	t.Logf("%d of the %d function processes (RIE and bootstraps) from before the faults still running", alive, len(functionPids))

	stats.logFigures(t, "all (load, recovery probes and checks)")
	t.Logf("requests sent: %d under load, %d in all; function log: %d \"store unavailable\" warnings (%d with the SDK's retry quota exhausted), %d errors; gateway's own errors: %d",
		loadSent, stats.total(), flog.count("store unavailable"), flog.count("retry quota exceeded"), flog.errorCount(), gw.count())
	t.Logf("fault test took %v (%v from the stack being up)", time.Since(began).Round(time.Millisecond), time.Since(loadStart).Round(time.Millisecond))
}

// waitRecovered logs the probe user in until it gets a 200, and returns how long that took.
func waitRecovered(t *testing.T, c *faultClient, probe *faultUser, after string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, out := c.call("probe login", "POST", "/auth/jwt/create/", "", probe.loginBody(probe.password), 200)
		switch {
		case out == done:
			return time.Since(start)
		case out == broken:
			t.Fatalf("probe login after %s: a wrong answer (see the failures)", after)
		case time.Since(start) > faultRecover:
			t.Fatalf("the service did not answer 200 within %v after %s", faultRecover, after)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ---- the model of what the load did ----

type userState int

const (
	userKnown           userState = iota // registered (201); password known
	userRegisterUnknown                  // register answered 503: it exists whole or not at all
	userPasswordUnknown                  // set_password answered 503: the old or the new password
	userBroken                           // got a wrong answer (already a failure): not checked further
)

type faultUser struct {
	email       string
	password    string
	newPassword string // userPasswordUnknown: the one set_password tried to set
	state       userState
	sessions    []*faultSession
}

func (u *faultUser) registerBody() map[string]string {
	return map[string]string{"email": u.email, "password": u.password, "first_name": "Fault", "last_name": "Load"}
}

func (u *faultUser) loginBody(password string) map[string]string {
	return map[string]string{"email": u.email, "password": password}
}

func (u *faultUser) live() []*faultSession {
	var out []*faultSession
	for _, s := range u.sessions {
		if s.state == sessionLive {
			out = append(out, s)
		}
	}
	return out
}

type sessionState int

const (
	sessionLive    sessionState = iota // its last refresh token (from a 200) must refresh
	sessionRevoked                     // another session's set_password (204) ended it
	sessionUnknown                     // another session's set_password got 503: ended or not
)

type faultSession struct {
	access, refresh string // the last ones a 200 returned
	// pending: refreshing `refresh` got 503, so it may have been rotated; retrying it must
	// converge on one successor.
	pending bool
	state   sessionState
}

type faultWorker struct {
	id    int
	c     *faultClient
	rng   *rand.Rand
	seq   int
	users []*faultUser
}

func allUsers(workers []*faultWorker) []*faultUser {
	var out []*faultUser
	for _, w := range workers {
		out = append(out, w.users...)
	}
	return out
}

func (w *faultWorker) password() string {
	return fmt.Sprintf("Fz-%012x!q", w.rng.Uint64()&(1<<48-1))
}

// step sends one request of the mix, to a user and session the worker owns.
func (w *faultWorker) step() {
	var known []*faultUser
	for _, u := range w.users {
		if u.state == userKnown {
			known = append(known, u)
		}
	}
	if len(known) == 0 || (len(known) < 12 && w.rng.IntN(8) == 0) {
		w.register()
		return
	}
	u := known[w.rng.IntN(len(known))]
	live := u.live()
	if len(live) == 0 || (len(live) < 3 && w.rng.IntN(8) == 0) {
		w.login(u)
		return
	}
	s := live[w.rng.IntN(len(live))]
	if s.pending { // converge first
		w.refresh(u, s)
		return
	}
	switch n := w.rng.IntN(100); {
	case n < 30:
		w.me(u, s)
	case n < 45:
		w.verify(u, "verify access", s.access)
	case n < 55:
		w.verify(u, "verify refresh", s.refresh)
	case n < 95:
		w.refresh(u, s)
	default:
		w.setPassword(u, s)
	}
}

// maxWaiting bounds a worker's users whose register got 503: past it the worker retries one
// of theirs instead of registering someone new, which keeps the checks' cost bounded.
const maxWaiting = 3

func (w *faultWorker) register() {
	var waiting []*faultUser
	for _, u := range w.users {
		if u.state == userRegisterUnknown {
			waiting = append(waiting, u)
		}
	}
	if len(waiting) >= maxWaiting {
		// A retried register converges: 201, or the e-mail is taken because the first
		// attempt did happen, whole (the checks log the user in).
		u := waiting[w.rng.IntN(len(waiting))]
		a, out := w.c.call("register again after a 503", "POST", "/auth/users/", "", u.registerBody(), 201, 400)
		switch {
		case out == done && a.status == 201:
			u.state = userKnown
		case out == done && a.raw == emailTakenBody:
			u.state = userKnown
			w.c.stats.registerExisted.Add(1)
		case out == done:
			w.c.stats.fail("register %s again after a 503: %d %s", u.email, a.status, a.raw)
			u.state = userBroken
		case out == broken:
			u.state = userBroken
		}
		return
	}
	w.seq++
	u := &faultUser{email: fmt.Sprintf("fault.w%d.n%d@example.com", w.id, w.seq), password: w.password()}
	w.users = append(w.users, u)
	a, out := w.c.call("register", "POST", "/auth/users/", "", u.registerBody(), 201)
	switch out {
	case done:
		u.state = userKnown
		if a.body["email"] != u.email {
			w.c.stats.fail("register %s: %s", u.email, a.raw)
		}
	case unavailable:
		u.state = userRegisterUnknown
	default:
		u.state = userBroken
	}
}

func (w *faultWorker) login(u *faultUser) {
	a, out := w.c.call("login", "POST", "/auth/jwt/create/", "", u.loginBody(u.password), 200)
	switch out {
	case done:
		access, _ := a.body["access"].(string)
		refresh, _ := a.body["refresh"].(string)
		u.sessions = append(u.sessions, &faultSession{access: access, refresh: refresh})
	case broken:
		u.state = userBroken
	}
}

func (w *faultWorker) me(u *faultUser, s *faultSession) {
	a, out := w.c.call("me", "GET", "/auth/users/me/", s.access, nil, 200)
	switch {
	case out == done && a.body["email"] != u.email:
		w.c.stats.fail("GET me as %s: %s", u.email, a.raw)
	case out == broken:
		u.state = userBroken
	}
}

func (w *faultWorker) verify(u *faultUser, op, token string) {
	if _, out := w.c.call(op, "POST", "/auth/jwt/verify/", "", map[string]string{"token": token}, 200); out == broken {
		u.state = userBroken
	}
}

func (w *faultWorker) refresh(u *faultUser, s *faultSession) {
	a, out := w.c.call("refresh", "POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": s.refresh}, 200)
	switch out {
	case done:
		s.access, _ = a.body["access"].(string)
		s.refresh, _ = a.body["refresh"].(string)
		if s.pending {
			w.c.stats.converged.Add(1)
		}
		s.pending = false
	case unavailable:
		s.pending = true
	default:
		u.state = userBroken
	}
}

func (w *faultWorker) setPassword(u *faultUser, caller *faultSession) {
	next := w.password()
	_, out := w.c.call("set_password", "POST", "/auth/users/set_password/", caller.access,
		map[string]string{"current_password": u.password, "new_password": next}, 204)
	switch out {
	case done:
		u.password = next
		for _, s := range u.sessions {
			if s != caller {
				s.state = sessionRevoked
			}
		}
	case unavailable:
		u.state, u.newPassword = userPasswordUnknown, next
		for _, s := range u.sessions {
			if s != caller && s.state == sessionLive {
				s.state = sessionUnknown
			}
		}
	default:
		u.state = userBroken
	}
}

// ---- the checks once DynamoDB is back ----

type checkFigures struct {
	usersKnown, regExisted, regAbsent, pwApplied, pwNotApplied atomic.Int64
	sessionsRefreshed, pendingConverged, revokedStayed         atomic.Int64
	sessionsUnknown, broken                                    atomic.Int64
}

func (f *checkFigures) log(t *testing.T) {
	t.Helper()
	t.Logf("users checked: %d registered (201) log in and read GET me; register answered 503: %d existed whole (e-mail taken, login works), %d did not exist at all (e-mail free, register 201, login works); set_password answered 503: %d applied, %d not (exactly one password logs in)",
		f.usersKnown.Load(), f.regExisted.Load(), f.regAbsent.Load(), f.pwApplied.Load(), f.pwNotApplied.Load())
	t.Logf("sessions checked: %d last refresh tokens from a 200 still refresh; %d tokens whose refresh got 503 converge (two retries: 200 with one same successor, which refreshes); %d sessions revoked by set_password stay revoked; %d not checkable (another session's set_password got 503); %d users skipped after a wrong answer",
		f.sessionsRefreshed.Load(), f.pendingConverged.Load(), f.revokedStayed.Load(), f.sessionsUnknown.Load(), f.broken.Load())
}

func (w *faultWorker) check(f *checkFigures) {
	c := w.c
	for _, u := range w.users {
		switch u.state {
		case userKnown:
			if c.checkLogin(u, u.password) {
				f.usersKnown.Add(1)
			}
		case userRegisterUnknown:
			a, out := c.retry("check: register again after a 503", "POST", "/auth/users/", "", u.registerBody(), 201, 400)
			switch {
			case out == done && a.status == 201:
				f.regAbsent.Add(1)
			case out == done && a.raw == emailTakenBody:
				f.regExisted.Add(1)
			case out == done:
				c.stats.fail("re-register %s after a 503: %d %s", u.email, a.status, a.raw)
				continue
			default:
				continue
			}
			u.state = userKnown
			c.checkLogin(u, u.password)
		case userPasswordUnknown:
			a, out := c.retry("check: login with the new password", "POST", "/auth/jwt/create/", "", u.loginBody(u.newPassword), 200, 401)
			if out != done {
				continue
			}
			other := u.password
			if a.status == 200 {
				f.pwApplied.Add(1)
				other, u.password = u.password, u.newPassword
			} else {
				f.pwNotApplied.Add(1)
			}
			// Exactly one of the two logs in.
			if b, out := c.retry("check: login with the other password", "POST", "/auth/jwt/create/", "", u.loginBody(other), 200, 401); out == done && (b.status == 200) == (a.status == 200) {
				c.stats.fail("after set_password got 503, %s: new password %d, old password %d; want exactly one 200", u.email, a.status, b.status)
			}
			c.checkLogin(u, u.password)
		case userBroken:
			f.broken.Add(1)
			continue
		}
		c.checkSessions(u, f)
	}
}

// checkLogin logs u in and reads GET me with the new access token.
func (c *faultClient) checkLogin(u *faultUser, password string) bool {
	a, out := c.retry("check: login", "POST", "/auth/jwt/create/", "", u.loginBody(password), 200)
	if out != done {
		c.stats.fail("user %s (%s) cannot log in after the faults", u.email, password)
		return false
	}
	access, _ := a.body["access"].(string)
	me, out := c.retry("check: me", "GET", "/auth/users/me/", access, nil, 200)
	if out == done && me.body["email"] != u.email {
		c.stats.fail("GET me of %s: %s", u.email, me.raw)
	}
	return out == done
}

func (c *faultClient) checkSessions(u *faultUser, f *checkFigures) {
	for _, s := range u.sessions {
		switch s.state {
		case sessionLive:
			if !s.pending {
				if _, out := c.retry("check: refresh", "POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": s.refresh}, 200); out == done {
					f.sessionsRefreshed.Add(1)
				}
				continue
			}
			first, out1 := c.retry("check: refresh again after a 503", "POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": s.refresh}, 200)
			second, out2 := c.retry("check: refresh again after a 503", "POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": s.refresh}, 200)
			if out1 != done || out2 != done {
				continue
			}
			next, _ := first.body["refresh"].(string)
			if again, _ := second.body["refresh"].(string); again != next {
				c.stats.fail("a refresh token answered 503 got two different successors when retried")
				continue
			}
			if _, out := c.retry("check: refresh the successor", "POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": next}, 200); out == done {
				f.pendingConverged.Add(1)
			}
		case sessionRevoked:
			a, out := c.retry("check: refresh a revoked session", "POST", "/auth/jwt/refresh/", "", map[string]string{"refresh": s.refresh}, 401)
			if out == done && a.raw != blacklistedBody {
				c.stats.fail("refresh of a session set_password revoked: %s", a.raw)
			} else if out == done {
				f.revokedStayed.Add(1)
			}
		case sessionUnknown:
			f.sessionsUnknown.Add(1)
		}
	}
}

// checkUsersTable reads the Users table directly: every user item has its e-mail marker
// and every marker its user (no half of a register, or of anything else, left behind), and
// the users are exactly those the test knows to exist. It returns how many users there are
// and how many problems it found (each an error).
func checkUsersTable(t *testing.T, ctx context.Context, endpoint string, users []*faultUser) (scanned, problems int) {
	t.Helper()
	client, err := dynamolocal.Client(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	userEmail := map[string]string{}   // user id → its e-mail
	markerOwner := map[string]string{} // e-mail → user id
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String("UsersTable"), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("scan UsersTable: %v", err)
		}
		for _, item := range page.Items {
			pk := str(item[store.KeyAttribute])
			switch {
			case strings.HasPrefix(pk, "USER#"):
				userEmail[strings.TrimPrefix(pk, "USER#")] = str(item["email"])
			case strings.HasPrefix(pk, "EMAIL#"):
				markerOwner[strings.TrimPrefix(pk, "EMAIL#")] = str(item["user_id"])
			default:
				problems++
				t.Errorf("UsersTable: unexpected item %q", pk)
			}
		}
	}
	for id, email := range userEmail {
		if markerOwner[email] != id {
			problems++
			t.Errorf("UsersTable: user %s (%s) has no e-mail marker of its own (the marker names %q): half a register", id, email, markerOwner[email])
		}
	}
	for email, id := range markerOwner {
		if userEmail[id] != email {
			problems++
			t.Errorf("UsersTable: e-mail marker %s names user %q, which does not exist with that e-mail: half a register", email, id)
		}
	}
	want := map[string]bool{}
	maybe := map[string]bool{}
	for _, u := range users {
		switch u.state {
		case userBroken, userRegisterUnknown: // a wrong answer or a failed re-check: already reported
			maybe[u.email] = true
		default:
			want[u.email] = true
		}
	}
	for email := range markerOwner {
		if !want[email] && !maybe[email] {
			problems++
			t.Errorf("UsersTable: user %s, which the test never registered", email)
		}
	}
	for email := range want {
		if _, ok := markerOwner[email]; !ok {
			problems++
			t.Errorf("UsersTable: no user %s", email)
		}
	}
	return len(userEmail), problems
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// ---- the client and its figures ----

type outcome int

const (
	done        outcome = iota // the status wanted
	unavailable                // the functions' 503: DynamoDB was away
	broken                     // anything else: recorded as a failure
)

type faultClient struct {
	base  string
	http  *http.Client
	stats *faultStats
	phase *atomic.Int32
}

type faultAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends one request. Every answer must be 2xx, 4xx or the functions' 503 with
// Retry-After, within faultHang; past that, a status not in want is a failure too.
func (c *faultClient) call(op, method, path, bearer string, body any, want ...int) (faultAnswer, outcome) {
	phase := c.phase.Load()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		panic(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.stats.record(op, phase, 0, time.Since(start))
		c.stats.fail("%s (%s): no answer after %v: %v", op, phaseNames[phase], time.Since(start).Round(time.Millisecond), err)
		return faultAnswer{}, broken
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	a := faultAnswer{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	_ = json.Unmarshal(data, &a.body)
	c.stats.record(op, phase, a.status, elapsed)
	switch {
	case err != nil:
		c.stats.fail("%s (%s): %d, body cut: %v", op, phaseNames[phase], a.status, err)
	case elapsed > faultHang:
		c.stats.fail("%s (%s): %d after %v: a hang", op, phaseNames[phase], a.status, elapsed.Round(time.Millisecond))
	case a.status == http.StatusServiceUnavailable && a.raw == unavailableBody && a.header.Get("Retry-After") != "":
		if elapsed >= deadlinePath {
			c.stats.deadline503.Add(1)
		} else {
			c.stats.quick503.Add(1)
		}
		return a, unavailable
	case a.status == http.StatusServiceUnavailable:
		c.stats.fail("%s (%s): 503 %s, Retry-After %q: not the functions' 503 (the gateway's own means a function timed out)", op, phaseNames[phase], a.raw, a.header.Get("Retry-After"))
	case a.status < 200 || a.status >= 500:
		c.stats.fail("%s (%s): %d %s", op, phaseNames[phase], a.status, a.raw)
	case slices.Contains(want, a.status):
		return a, done
	default:
		c.stats.fail("%s (%s): %d %s, want %v or 503", op, phaseNames[phase], a.status, a.raw, want)
	}
	return a, broken
}

// retry calls until the answer is not a 503, a few times: the checks run with DynamoDB
// back, where a 503 should not happen at all (they are counted in the figures).
func (c *faultClient) retry(op, method, path, bearer string, body any, want ...int) (faultAnswer, outcome) {
	for attempt := 1; ; attempt++ {
		a, out := c.call(op, method, path, bearer, body, want...)
		if out != unavailable {
			return a, out
		}
		if attempt == 5 {
			c.stats.fail("%s: still 503 after %d attempts with DynamoDB back", op, attempt)
			return a, broken
		}
		time.Sleep(500 * time.Millisecond)
	}
}

type faultStats struct {
	converged atomic.Int64 // 503'd refreshes whose retry got a 200 during the load
	// 503'd registers whose retry during the load found the e-mail taken: they had happened
	registerExisted atomic.Int64
	// 503s by the path that produced them: the functions' deadline (DynamoDB frozen, the
	// call hangs) or the SDK giving up quickly (connection refused, retries exhausted).
	deadline503, quick503 atomic.Int64

	mu        sync.Mutex
	byStatus  map[int]int
	byOp      map[string]map[int]int
	byPhase   [nPhases]map[int]int
	slowest   [nPhases]time.Duration
	failures  []string
	nFailures int
}

func newFaultStats() *faultStats {
	st := &faultStats{byStatus: map[int]int{}, byOp: map[string]map[int]int{}}
	for i := range st.byPhase {
		st.byPhase[i] = map[int]int{}
	}
	return st
}

func (st *faultStats) record(op string, phase int32, status int, elapsed time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byStatus[status]++
	if st.byOp[op] == nil {
		st.byOp[op] = map[int]int{}
	}
	st.byOp[op][status]++
	st.byPhase[phase][status]++
	st.slowest[phase] = max(st.slowest[phase], elapsed)
}

const maxFailures = 30

func (st *faultStats) fail(format string, args ...any) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.nFailures++
	if len(st.failures) < maxFailures {
		st.failures = append(st.failures, fmt.Sprintf(format, args...))
	}
}

func (st *faultStats) failureList() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := slices.Clone(st.failures)
	if st.nFailures > len(out) {
		out = append(out, fmt.Sprintf("... and %d more failures", st.nFailures-len(out)))
	}
	return out
}

func (st *faultStats) count(phase int, status int) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.byPhase[phase][status]
}

func (st *faultStats) total() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, v := range st.byStatus {
		n += v
	}
	return n
}

// logFigures logs the answers by status, by operation and by phase, and returns how many
// requests were sent.
func (st *faultStats) logFigures(t *testing.T, what string) int {
	t.Helper()
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, v := range st.byStatus {
		n += v
	}
	t.Logf("%s: %d requests, answers %s (0 = no answer)", what, n, statusCounts(st.byStatus))
	ops := make([]string, 0, len(st.byOp))
	for op := range st.byOp {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		t.Logf("  %-34s %s", op, statusCounts(st.byOp[op]))
	}
	for p, counts := range st.byPhase {
		if len(counts) > 0 {
			t.Logf("  phase %-26s %s; slowest answer %v", phaseNames[p], statusCounts(counts), st.slowest[p].Round(time.Millisecond))
		}
	}
	if what == "load" {
		t.Logf("  503s: %d at the functions' deadline (calls hanging on the frozen DynamoDB), %d quick (connection refused, SDK retries exhausted); retried during the load after a 503: %d refreshes got their 200, %d registers found their e-mail taken (the first attempt had happened)",
			st.deadline503.Load(), st.quick503.Load(), st.converged.Load(), st.registerExisted.Load())
	}
	return n
}

func statusCounts(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%d×%d", code, m[code])
	}
	return strings.Join(parts, " ")
}

// gatewayErrors keeps what the gateway answered itself (a failed or timed-out function).
type gatewayErrors struct {
	mu      sync.Mutex
	entries []string
}

func (g *gatewayErrors) add(e gateway.Entry) {
	if e.Err == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = append(g.entries, e.String())
}

func (g *gatewayErrors) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.entries)
}

func (g *gatewayErrors) list() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.entries[:min(len(g.entries), maxFailures)])
}

// faultLog takes the stack's output (gateway lines, the functions' JSON logs): it keeps the
// last lines and the error lines for a failure report, and counts.
type faultLog struct {
	mu     sync.Mutex
	tail   []string
	errors []string
	counts map[string]int
	nErr   int
}

const faultLogTail = 150

func (l *faultLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if strings.Contains(line, `"msg":"store unavailable"`) {
			l.counts["store unavailable"]++
			if strings.Contains(line, "retry quota exceeded") {
				l.counts["retry quota exceeded"]++
			}
		}
		if strings.Contains(line, `"level":"ERROR"`) {
			l.nErr++
			if len(l.errors) < maxFailures {
				l.errors = append(l.errors, line)
			}
		}
		l.tail = append(l.tail, line)
		if len(l.tail) > 2*faultLogTail {
			l.tail = slices.Clone(l.tail[len(l.tail)-faultLogTail:])
		}
	}
	return len(b), nil
}

func (l *faultLog) count(what string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[what]
}

func (l *faultLog) errorCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nErr
}

func (l *faultLog) dump(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.errors {
		t.Log("function error: " + line)
	}
	tail := l.tail[max(0, len(l.tail)-faultLogTail):]
	t.Logf("last %d lines of the stack's output:\n%s", len(tail), strings.Join(tail, "\n"))
}
