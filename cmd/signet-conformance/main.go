// Command signet-conformance speaks the Sigstore conformance suite's CLI protocol
// (sigstore/sigstore-conformance) by translating each call into the equivalent signet
// command, so that the suite exercises exactly the code users run:
//
//	verify-bundle [--staging] --bundle B (--certificate-identity ID --certificate-oidc-issuer ISS | --key KEY) [--trusted-root TR] FILE_OR_DIGEST
package main

import (
	"fmt"
	"os"

	"github.com/signet-dev/signet/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], cli.OSEnv())) }

// run translates one conformance call and returns signet's exit code.
func run(args []string, env *cli.Env) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "usage: signet-conformance verify-bundle ARGS...")
		return cli.ExitUsage
	}
	switch args[0] {
	case "verify-bundle":
		// The protocol's verify flags are signet's own flag names.
		return cli.Main(append([]string{"verify"}, args[1:]...), env)
	default:
		fmt.Fprintf(env.Stderr, "signet-conformance: unsupported command %q\n", args[0])
		return cli.ExitUsage
	}
}
