package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/shareddata"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"signet": func() { os.Exit(cli.Main(os.Args[1:], cli.OSEnv())) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script. Besides the standard commands,
// scripts may use `exitcode N cmd args...` to assert an exact exit status. $SHARED is the
// shared third-party test data (internal/shareddata), and the condition [shared] says
// whether it is there; with SIGNET_REQUIRE_SHARED=1 its absence fails the test.
func TestScripts(t *testing.T) {
	shared := shareddata.Root()
	_, err := os.Stat(filepath.Join(shared, "conformance"))
	haveShared := err == nil
	if !haveShared && os.Getenv(shareddata.EnvRequire) == "1" {
		shareddata.Dir(t, "conformance") // fails, naming the path
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SHARED", shared)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "shared" {
				return haveShared, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
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
