// Command signet-conformance speaks the Sigstore conformance suite's CLI protocol
// (sigstore/sigstore-conformance) by translating each call into the equivalent signet
// command, so that the suite exercises exactly the code users run. It never contacts a TUF
// repository (--offline): without --trusted-root the trust material is signet's built-in
// copy of the public-good or staging instance's, so every run is reproducible.
//
//	sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle OUT [--trusted-root TR] [--signing-config SC] FILE
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
		fmt.Fprintln(env.Stderr, "usage: signet-conformance sign-bundle|verify-bundle ARGS...")
		return cli.ExitUsage
	}
	switch args[0] {
	case "sign-bundle":
		// The protocol's sign flags are signet's own too. The suite hands over the token
		// and a fresh output path, and nobody is there to answer a prompt.
		return cli.Main(append([]string{"sign", "--offline", "--overwrite", "--oidc-disable-ambient-providers", "--oidc-flow", "none"}, args[1:]...), env)
	case "verify-bundle":
		// The protocol's verify flags are signet's own flag names.
		return cli.Main(append([]string{"verify", "--offline"}, args[1:]...), env)
	default:
		fmt.Fprintf(env.Stderr, "signet-conformance: unsupported command %q\n", args[0])
		return cli.ExitUsage
	}
}
