package dynamolocal

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The pre-check in Start catches most taken ports; this covers the race it leaves, where
// java itself fails to bind (and, being a JVM with live threads, does not exit).
func TestLaunchBindFailure(t *testing.T) {
	java, err := findJava()
	if err != nil {
		t.Fatal(err)
	}
	jarDir, err := resolveJarDir("")
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureJar(context.Background(), jarDir, nil); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = launch(context.Background(), java, jarDir, "", port, nil)
	if !errors.Is(err, errPortInUse) {
		t.Fatalf("launch on a taken port: err = %v, want errPortInUse", err)
	}
}

func TestExitedEarly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, jarName), []byte("not a jar"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{JarDir: dir})
	if err == nil || !strings.Contains(err.Error(), "exited early") || !strings.Contains(err.Error(), "jarfile") {
		t.Fatalf("err = %v, want \"exited early\" with java's complaint about the jar", err)
	}
}
