package cli_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/cli"
)

// Main runs a whole command in-process and returns its exit code.
func ExampleMain() {
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Stdout: &stdout, Stderr: &stderr, Now: time.Now}
	code := cli.Main([]string{"verify", "--certificate-identity", "someone@example.com",
		"--certificate-oidc-issuer", "https://accounts.google.com",
		"--bundle", "../../testdata/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json",
		"../../testdata/conformance/a.txt"}, env)
	fmt.Println(code)
	fmt.Print(stderr.String()[:42])
	// Output:
	// 1
	// signet: error: policy check failed: the ce
}
