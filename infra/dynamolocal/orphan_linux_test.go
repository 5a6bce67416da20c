package dynamolocal_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtauth/jwtauth/infra/dynamolocal"
)

// TestNoOrphanWhenParentDies kills (SIGKILL, so no cleanup runs) a process that started a
// server and checks that java goes with it (Pdeathsig).
func TestNoOrphanWhenParentDies(t *testing.T) {
	if os.Getenv("DYNAMOLOCAL_ORPHAN_HELPER") == "1" {
		s, err := dynamolocal.Start(context.Background(), dynamolocal.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("pid", s.Pid())
		time.Sleep(time.Minute) // killed by the parent test long before this
		os.Exit(1)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphanWhenParentDies$")
	cmd.Env = append(os.Environ(), "DYNAMOLOCAL_ORPHAN_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("java pid %d not running before the parent dies: %v", pid, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; {
		// java is re-parented and reaped by init (or a subreaper) once killed.
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if state, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(state), ") Z ") {
			return // killed, waiting for its new parent to reap it
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("java pid %d outlived its parent", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
