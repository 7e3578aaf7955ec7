// Command depfloor does nothing but link the packages whose initialisation signet cannot
// avoid: the protobuf-specs Go types and protojson (the bundle, trusted-root and signing-config
// formats), go-tuf's metadata (TUF), net/http and crypto/x509. Its start-up is the floor of
// any program built on those dependencies; scripts/bench-compare.sh measures signet against
// it beside the empty Go program, to show how much of signet's start-up is signet's own.
package main

import (
	_ "crypto/x509"
	_ "net/http"

	_ "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	_ "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	_ "github.com/theupdateframework/go-tuf/v2/metadata"
	_ "google.golang.org/protobuf/encoding/protojson"
)

func main() {}
