//go:build !linux

// Command run is `make run`, which needs Linux: aws-lambda-rie runs Linux bootstraps.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Fprintf(os.Stderr, "make run: needs Linux (or WSL2), not %s: use `make sam-local` (Docker and the SAM CLI)\n", runtime.GOOS)
	os.Exit(1)
}
