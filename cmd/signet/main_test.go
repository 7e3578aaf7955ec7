package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/signet-dev/signet/internal/cli"
	"github.com/signet-dev/signet/internal/shareddata"
	"github.com/signet-dev/signet/internal/sigstoretest"
	"github.com/signet-dev/signet/pkg/trust/tuf"
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
			// Tests never touch the network: instances' trust material is the cached or
			// built-in copy unless a script serves a TUF repository itself.
			env.Setenv("SIGNET_OFFLINE", "1")
			env.Setenv("SIGNET_TUF_CACHE", filepath.Join(env.WorkDir, ".tuf-cache"))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "shared" {
				return haveShared, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tufrepo": func(ts *testscript.TestScript, neg bool, args []string) { tufRepoCmd(t, ts, neg, args) },
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

// tufRepos holds each script's TUF repository, by the script's work directory.
var tufRepos sync.Map

// tufRepoCmd serves a TUF repository on 127.0.0.1 for a script (sigstoretest.TUFRepo):
//
//	tufrepo start TRUSTED_ROOT [SIGNING_CONFIG]  publish them as targets; set $TUF_URL and
//	                                             write the initial root as root.json
//	tufrepo publish NAME FILE                    publish FILE as target NAME (new versions)
//	tufrepo stop                                 stop serving
func tufRepoCmd(t *testing.T, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: tufrepo start|publish|stop ...")
	}
	key := ts.Getenv("WORK")
	switch args[0] {
	case "start":
		if len(args) < 2 || len(args) > 3 {
			ts.Fatalf("usage: tufrepo start TRUSTED_ROOT [SIGNING_CONFIG]")
		}
		targets := map[string][]byte{tuf.TrustedRootTarget: []byte(ts.ReadFile(args[1]))}
		if len(args) == 3 {
			targets[tuf.SigningConfigTarget] = []byte(ts.ReadFile(args[2]))
		}
		repo := sigstoretest.NewTUFRepo(t, time.Now(), targets)
		tufRepos.Store(key, repo)
		ts.Setenv("TUF_URL", repo.URL())
		ts.Check(os.WriteFile(ts.MkAbs("root.json"), repo.RootJSON(1), 0o644))
	case "publish", "stop":
		v, ok := tufRepos.Load(key)
		if !ok {
			ts.Fatalf("tufrepo: no repository started")
		}
		repo := v.(*sigstoretest.TUFRepo)
		if args[0] == "stop" {
			repo.Close()
			return
		}
		if len(args) != 3 {
			ts.Fatalf("usage: tufrepo publish NAME FILE")
		}
		repo.Now = time.Now()
		repo.SetTarget(args[1], []byte(ts.ReadFile(args[2])))
		repo.Publish()
	default:
		ts.Fatalf("tufrepo: unknown subcommand %q", args[0])
	}
}
