//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs scripts/demo.sh (make demo) and checks that it stops the local Sigstore it
// started: when it succeeds, and when a step fails after the stack is up. It also checks the
// other half of the rule: a stack the demo did not start is left running.
//
// The demo starts its own core stack on the fixed ports, so this test stops the suite's stack
// first and starts it again at the end (top-level tests run one at a time). It runs in core
// mode only: the demo uses the core stack, and restarting the full one takes long.
func TestDemo(t *testing.T) {
	if full() {
		t.Skip("core mode only: the demo runs the core stack")
	}
	ports := corePorts(t)

	// The suite's stack is running, and the demo did not start it: the demo must fail (up.sh
	// refuses to start over a running stack) and leave it running.
	r := runDemo(t, nil)
	if r.code == 0 {
		t.Fatalf("the demo succeeded over a running stack:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "a stack is already running") {
		t.Errorf("the demo failed for another reason than the running stack:\n%s", r.stderr)
	}
	for _, p := range ports {
		if err := dialPort(p); err != nil {
			t.Errorf("the demo stopped a stack it did not start: port %d: %v", p, err)
		}
	}

	// From here the demo runs alone, and the suite's stack is started again afterwards.
	if err := script(context.Background(), "scripts/stack/down.sh"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restartStack(t) })

	t.Run("success", func(t *testing.T) {
		stopAnyStack(t)
		r := runDemo(t, nil)
		if r.code != 0 {
			t.Fatalf("make demo failed (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"signet: verified release.txt", "policy check failed", "the stack is stopped on exit"} {
			if !strings.Contains(r.stdout+r.stderr, want) {
				t.Errorf("the demo's output lacks %q", want)
			}
		}
		// The demo checks everything, the SCT included: no check is skipped.
		if out := r.stdout + r.stderr; strings.Contains(out, "--insecure") || strings.Contains(out, "INSECURE") {
			t.Errorf("the demo skips a check:\n%s", out)
		}
		wantPortsFree(t, ports)
	})

	// A step after up.sh fails: the token request. A curl first on PATH fails for the
	// issuer's /token URL, as an issuer that refuses would, and runs the real curl for every
	// other URL (up.sh polls the services with curl).
	t.Run("step fails after the stack is up", func(t *testing.T) {
		stopAnyStack(t)
		realCurl, err := exec.LookPath("curl")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		fake := fmt.Sprintf(`#!/bin/sh
for a in "$@"; do
  case "$a" in
  */token\?*) echo "curl: (22) The requested URL returned error: 503 (fake curl of TestDemo)" >&2; exit 22 ;;
  esac
done
exec %q "$@"
`, realCurl)
		if err := os.WriteFile(filepath.Join(dir, "curl"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		r := runDemo(t, []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")})
		if r.code == 0 {
			t.Fatalf("the demo succeeded without an identity token:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "fake curl of TestDemo") {
			t.Errorf("the demo failed before asking for a token (exit %d):\n%s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "stack up in") {
			t.Errorf("the stack did not come up, so this case tests nothing:\n%s", r.stderr)
		}
		wantPortsFree(t, ports)
	})
}

// stopAnyStack stops a stack a failed case may have left, so that the next case tests its own run.
func stopAnyStack(t *testing.T) {
	t.Helper()
	if err := script(context.Background(), "scripts/stack/down.sh"); err != nil {
		t.Fatal(err)
	}
}

// corePorts reads CORE_PORTS from scripts/stack/lib.sh.
func corePorts(t *testing.T) []int {
	t.Helper()
	cmd := exec.Command("bash", "-c", `. scripts/stack/lib.sh && echo "$CORE_PORTS"`)
	cmd.Dir = stack.repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reading CORE_PORTS from scripts/stack/lib.sh: %v", err)
	}
	var ports []int
	for _, f := range strings.Fields(string(out)) {
		p, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("CORE_PORTS: %q is not a port", f)
		}
		ports = append(ports, p)
	}
	if len(ports) == 0 {
		t.Fatal("CORE_PORTS is empty")
	}
	return ports
}

// dialPort connects to 127.0.0.1:port and closes the connection.
func dialPort(port int) error {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// wantPortsFree fails the test unless a connection to every port is refused.
func wantPortsFree(t *testing.T, ports []int) {
	t.Helper()
	for _, p := range ports {
		err := dialPort(p)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			if err == nil {
				err = errors.New("something accepts connections")
			}
			t.Errorf("port %d is not free after the demo: %v", p, err)
		}
	}
}

// runDemo runs scripts/demo.sh from the repository root, with extra environment variables.
func runDemo(t *testing.T, env []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(stack.repo, "scripts", "demo.sh"))
	cmd.Dir = stack.repo
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// As script does: its own process group, SIGTERM to the group on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("scripts/demo.sh: %v\n%s", err, stderr.String())
	}
	r := result{cmd: "scripts/demo.sh", code: code, stdout: stdout.String(), stderr: stderr.String()}
	r.log(t)
	return r
}

// restartStack starts the suite's stack again after TestDemo, for the tests that follow.
func restartStack(t *testing.T) {
	if err := script(context.Background(), "scripts/stack/down.sh"); err != nil {
		t.Errorf("before restarting the suite's stack: %v", err)
	}
	if err := script(context.Background(), "scripts/stack/up.sh", stack.mode); err != nil {
		t.Errorf("restarting the suite's stack: %v", err)
		return
	}
	vars, err := parseEnvFile(filepath.Join(stack.repo, ".cache", "stack", "run", "env.sh"))
	if err != nil {
		t.Errorf("restarting the suite's stack: %v", err)
		return
	}
	stack.vars = vars
}
