package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/signet-dev/signet/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"signet": func() { os.Exit(cli.Main(os.Args[1:], cli.OSEnv())) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script. Besides the standard commands,
// scripts may use `exitcode N cmd args...` to assert an exact exit status.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N command [args...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				err = ts.Exec(args[1], args[2:]...)
				got := 0
				var exitErr *exec.ExitError
				if errors.As(err, &exitErr) {
					got = exitErr.ExitCode()
				} else if err != nil {
					ts.Fatalf("running %s: %v", args[1], err)
				}
				if got != want {
					ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
				}
			},
		},
	})
}
