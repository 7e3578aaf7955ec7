package cli_test

import (
	"bytes"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/cli"
)

// Main runs a whole command in-process and returns its exit code: here 2 for a usage error,
// then 3 for a bundle that cannot be read. Messages go to the Env's stderr.
func ExampleMain() {
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Stdout: &stdout, Stderr: &stderr, Now: time.Now}
	code := cli.Main([]string{"verify", "--certificate-identity", "someone@example.com", "a.txt"}, env)
	fmt.Println(code)
	fmt.Print(stderr.String())

	stderr.Reset()
	code = cli.Main([]string{"verify", "--certificate-identity", "someone@example.com",
		"--certificate-oidc-issuer", "https://accounts.google.com",
		"--bundle", "no-such-bundle.sigstore.json", "a.txt"}, env)
	fmt.Println(code)
	fmt.Print(stderr.String())
	// Output:
	// 2
	// signet: error: keyless verification needs --certificate-identity (or -regexp) and --certificate-oidc-issuer (or -regexp, or --certificate-without-oidc-issuer for an enterprise CA's certificate); to verify with a key, use --key
	// signet: hint: run 'signet help' or 'signet <command> --help' for usage
	// 3
	// signet: error: bundle check failed: open no-such-bundle.sigstore.json: no such file or directory
	// signet: hint: check that the file exists and is readable
}
