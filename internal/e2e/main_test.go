//go:build e2e

// Package e2e tests signet sign and signet verify end to end against a real private Sigstore
// (Fulcio, Rekor v2, a timestamp authority, and in full mode Rekor v1 and a CT log) that
// scripts/stack builds and starts on 127.0.0.1, and against an independent client, the
// sigstore-go conformance CLI. It trusts only the stack's trust material, written at start.
//
//	go test -tags e2e ./internal/e2e/                        # core: OIDC, Fulcio, TesseraCT, Rekor v2, TSA
//	SIGNET_E2E_MODE=full go test -tags e2e ./internal/e2e/   # full: + MariaDB, Trillian, Rekor v1 (CT log on Trillian)
//
// TestMain installs (cached) and starts the stack, and always stops it: after the tests, on
// SIGINT or SIGTERM, shortly before -test.timeout, and, through scripts/e2e/watchdog.sh, when
// the test process dies in a way no deferred call survives (a panic in a test, SIGKILL).
package e2e

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The independent client: sigstore-go's conformance CLI. (It lives in test/conformance; the
// module has no cmd/conformance.)
const (
	conformancePkg     = "github.com/sigstore/sigstore-go/test/conformance"
	conformanceVersion = "v1.3.0"
)

var modeFlag = flag.String("e2e.mode", "", "stack mode: core or full (default $SIGNET_E2E_MODE, else core)")

// stack is what the tests know about the running Sigstore: SIGNET_STACK_* from env.sh.
var stack struct {
	mode string
	vars map[string]string

	repo string // repository root
	bin  string // .cache/e2e/bin

	signetBin      string // signet, built once
	adapterBin     string // signet-conformance, built once
	conformanceBin string // sigstore-go's conformance CLI at conformanceVersion
}

// v returns the SIGNET_STACK_<name> variable of env.sh; it panics when the stack did not set
// it, which is a mistake in the tests or the scripts.
func v(name string) string {
	val, ok := stack.vars["SIGNET_STACK_"+name]
	if !ok || val == "" {
		panic("e2e: env.sh sets no SIGNET_STACK_" + name)
	}
	return val
}

func full() bool { return stack.mode == "full" }

func TestMain(m *testing.M) { os.Exit(run(m)) }

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...) }

func run(m *testing.M) int {
	flag.Parse()
	mode := *modeFlag
	if mode == "" {
		mode = os.Getenv("SIGNET_E2E_MODE")
	}
	if mode == "" {
		mode = "core"
	}
	if mode != "core" && mode != "full" {
		logf("mode must be core or full, not %q", mode)
		return 2
	}
	stack.mode = mode
	// Tests wait on the services, not on the CPU: run more than GOMAXPROCS of them at once
	// unless -parallel says otherwise.
	if !flagSet("test.parallel") {
		_ = flag.Set("test.parallel", "16")
	}

	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		logf("%v", err)
		return 1
	}
	stack.repo = repo
	stack.bin = filepath.Join(repo, ".cache", "e2e", "bin")
	if err := os.MkdirAll(stack.bin, 0o755); err != nil {
		logf("%v", err)
		return 1
	}

	// One e2e run at a time on this host: the stack's ports are fixed.
	unlock, err := lock(filepath.Join(repo, ".cache", "e2e", "lock"), 2*time.Minute)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer unlock()

	// The stack is stopped once, by whoever gets here first: the end of the tests, a signal,
	// the timeout guard. The watchdog covers the rest.
	wd, err := startWatchdog()
	if err != nil {
		logf("starting the watchdog: %v", err)
		return 1
	}
	var (
		once   sync.Once
		downOK = true
	)
	stopStack := func(why string) {
		once.Do(func() {
			logf("stopping the stack (%s)", why)
			// Not ctx: a signal cancels it.
			if err := script(context.Background(), "scripts/stack/down.sh"); err != nil {
				logf("down.sh: %v", err)
				downOK = false
			}
			wd.done()
		})
	}
	defer stopStack("setup failed")

	// SIGINT and SIGTERM: cancel whatever script runs, stop the stack, exit.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig := <-sigs
		logf("got %s", sig)
		cancel()
		stopStack(sig.String())
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()

	t0 := time.Now()
	if err := script(ctx, "scripts/stack/install.sh", mode); err != nil {
		logf("installing the %s stack: %v", mode, err)
		return 1
	}
	logf("install.sh %s: %s", mode, time.Since(t0).Round(time.Millisecond))

	// A stack left over from an aborted run (or started by hand) holds the ports: stop it.
	if running := runningServices(); len(running) > 0 {
		logf("a stack is already running (%s): stopping it with down.sh first", strings.Join(running, ", "))
	}
	if err := script(ctx, "scripts/stack/down.sh"); err != nil {
		logf("down.sh before start: %v", err)
		return 1
	}

	t1 := time.Now()
	if err := script(ctx, "scripts/stack/up.sh", mode); err != nil {
		logf("up.sh %s: %v", mode, err)
		return 1
	}
	logf("up.sh %s: %s", mode, time.Since(t1).Round(time.Millisecond))
	if stack.vars, err = parseEnvFile(filepath.Join(repo, ".cache", "stack", "run", "env.sh")); err != nil {
		logf("%v", err)
		return 1
	}
	if got := stack.vars["SIGNET_STACK_MODE"]; got != mode {
		logf("env.sh says mode %q, want %q", got, mode)
		return 1
	}

	t2 := time.Now()
	if err := buildTools(ctx); err != nil {
		logf("%v", err)
		return 1
	}
	logf("built signet, signet-conformance and the sigstore-go conformance CLI: %s", time.Since(t2).Round(time.Millisecond))

	// -test.timeout starts counting in m.Run. Stop the stack before the alarm fires, because
	// the alarm's panic skips every deferred call.
	if d := testTimeout(); d > 0 {
		margin := min(30*time.Second, d/4)
		timer := time.AfterFunc(d-margin, func() {
			logf("-test.timeout %s is nearly spent; stopping the stack. Goroutines:", d)
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			stopStack("test timeout")
			os.Exit(1)
		})
		defer timer.Stop()
	}

	code := m.Run()
	stopStack("tests finished")
	if code == 0 && !downOK {
		return 1
	}
	logf("%s mode: %s in all", mode, time.Since(t0).Round(time.Millisecond))
	return code
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func testTimeout() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	d, _ := time.ParseDuration(f.Value.String())
	return d
}

// script runs a repository script with its output on our stderr.
func script(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(stack.repo, name), args...)
	cmd.Dir = stack.repo
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	// Its own process group: a ^C at the terminal reaches the tests, which stop the stack in
	// order with down.sh, and not the servers up.sh starts (they stay in that group).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On cancel, SIGTERM to the whole group (go install's children too), then SIGKILL.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// runningServices names the services whose pid files point at a live process.
func runningServices() []string {
	var names []string
	pids, _ := filepath.Glob(filepath.Join(stack.repo, ".cache", "stack", "run", "*.pid"))
	for _, f := range pids {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(data))
		if len(fields) == 0 {
			continue
		}
		pid, err := strconv.Atoi(fields[0])
		if err != nil {
			continue
		}
		if syscall.Kill(pid, 0) == nil {
			names = append(names, fmt.Sprintf("%s pid %d", strings.TrimSuffix(filepath.Base(f), ".pid"), pid))
		}
	}
	return names
}

// lock takes an exclusive lock on path, waiting up to wait for another e2e run (or a
// watchdog stopping a crashed run's stack) to finish.
func lock(path string, wait time.Duration) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		holder, _ := os.ReadFile(path)
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another e2e run holds %s (%s) after %s; the stack's ports are fixed, so runs cannot overlap", path, strings.TrimSpace(string(holder)), wait)
		}
		if !said {
			logf("waiting for another e2e run to finish (%s holds %s)", strings.TrimSpace(string(holder)), path)
			said = true
		}
		time.Sleep(250 * time.Millisecond)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d, mode %s, since %s\n", os.Getpid(), stack.mode, time.Now().UTC().Format(time.RFC3339))), 0)
	return func() { f.Close() }, nil
}

type watchdog struct {
	w   *os.File
	cmd *exec.Cmd
}

// startWatchdog starts scripts/e2e/watchdog.sh in its own process group (so that ^C reaches
// only us), reading a pipe whose write end only this process holds.
func startWatchdog() (*watchdog, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(stack.repo, "scripts", "e2e", "watchdog.sh"))
	cmd.Dir = stack.repo
	cmd.Stdin = r
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	r.Close()
	return &watchdog{w: w, cmd: cmd}, nil
}

// done tells the watchdog that the stack is stopped, and waits for it to exit.
func (wd *watchdog) done() {
	_, _ = io.WriteString(wd.w, "done\n")
	wd.w.Close()
	_ = wd.cmd.Wait()
}

// parseEnvFile reads the "export NAME=VALUE" lines that up.sh writes.
func parseEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: cannot parse %q", path, line)
		}
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		vars[name] = val
	}
	return vars, sc.Err()
}

// buildTools builds signet and the conformance adapter from this tree, and installs the
// independent client once (cached in .cache/e2e/bin, stamped with its version).
func buildTools(ctx context.Context) error {
	stack.signetBin = filepath.Join(stack.bin, "signet")
	stack.adapterBin = filepath.Join(stack.bin, "signet-conformance")
	stack.conformanceBin = filepath.Join(stack.bin, "sigstore-go-conformance")
	goCmd := func(dir string, env []string, args ...string) error {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "GOTOOLCHAIN=local"), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	for bin, pkg := range map[string]string{stack.signetBin: "./cmd/signet", stack.adapterBin: "./cmd/signet-conformance"} {
		if err := goCmd(stack.repo, nil, "build", "-o", bin, pkg); err != nil {
			return err
		}
	}
	want := conformancePkg + "@" + conformanceVersion
	stamp := stack.conformanceBin + ".version"
	if got, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(got)) == want {
		if _, err := os.Stat(stack.conformanceBin); err == nil {
			return nil
		}
	}
	tmp, err := os.MkdirTemp(stack.bin, ".install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logf("installing the independent client: go install %s", want)
	// go install pkg@version ignores the current module; run it outside the repository anyway.
	if err := goCmd(tmp, []string{"GOBIN=" + tmp, "GOFLAGS="}, "install", want); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "conformance"), stack.conformanceBin); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(want+"\n"), 0o644)
}
