// Command fn is a Lambda function for the rie tests: it echoes, sleeps, fails or exits on request.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Sleep string `json:"sleep"` // a Go duration to sleep before answering
	Fail  string `json:"fail"`  // return this error
	Exit  bool   `json:"exit"`  // crash the process
	Env   string `json:"env"`   // answer with this environment variable
}

type response struct {
	Env string `json:"env"`
	Pid int    `json:"pid"`
}

func handle(_ context.Context, r request) (response, error) {
	if r.Sleep != "" {
		d, err := time.ParseDuration(r.Sleep)
		if err != nil {
			return response{}, err
		}
		time.Sleep(d)
	}
	if r.Exit {
		os.Exit(3)
	}
	if r.Fail != "" {
		return response{}, errors.New(r.Fail)
	}
	return response{Env: os.Getenv(r.Env), Pid: os.Getpid()}, nil
}

func main() { lambda.Start(handle) }
