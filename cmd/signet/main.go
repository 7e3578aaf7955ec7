// Command signet signs and verifies artifacts with Sigstore. All of it lives in internal/cli.
package main

import (
	"os"

	"github.com/signet-dev/signet/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.OSEnv())) }
