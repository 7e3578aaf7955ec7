// Command oidc-issuer serves internal/testoidc on loopback for the local
// Sigstore stack (scripts/stack/up.sh). Anyone who can reach it gets a token
// for any identity, so it refuses to listen on anything but loopback.
//
//	oidc-issuer --addr 127.0.0.1:8090 --key-file .cache/stack/keys/oidc-issuer.key
//
// Two issuers share the listener:
//
//	http://127.0.0.1:8090       email style (Fulcio issuer type "email")
//	http://127.0.0.1:8090/uri   URI style   (Fulcio issuer type "uri", SubjectDomain http://127.0.0.1:8090)
//
// Tokens: curl 'http://127.0.0.1:8090/token?email=alice@example.com'
// (fields sub, email, email_verified, aud, ttl, age, claims; see package testoidc).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/signet-dev/signet/internal/testoidc"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address (loopback only)")
	keyFile := flag.String("key-file", ".cache/stack/keys/oidc-issuer.key", "PKCS#8 PEM P-256 key; created if missing")
	issuerURL := flag.String("issuer-url", "", "issuer URL (default http://ADDR)")
	uriPath := flag.String("uri-path", "/uri", "path of the second, URI-style issuer; empty disables it")
	lifetime := flag.Duration("lifetime", testoidc.DefaultLifetime, "default token lifetime")
	flag.Parse()
	if err := run(*addr, *keyFile, *issuerURL, *uriPath, *lifetime); err != nil {
		log.Fatalf("oidc-issuer: %v", err)
	}
}

func run(addr, keyFile, issuerURL, uriPath string, lifetime time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--addr %s: refusing to serve tokens beyond loopback", addr)
	}
	if issuerURL == "" {
		issuerURL = "http://" + addr
	}
	issuerURL = strings.TrimSuffix(issuerURL, "/")
	key, err := testoidc.LoadOrCreateKey(keyFile)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	root, err := testoidc.New(testoidc.Config{URL: issuerURL, Key: key, Lifetime: lifetime})
	if err != nil {
		return err
	}
	mux.Handle("/", root)
	if uriPath != "" {
		uriPath = "/" + strings.Trim(uriPath, "/")
		uri, err := testoidc.New(testoidc.Config{URL: issuerURL + uriPath, Key: key, Style: testoidc.StyleURI, Lifetime: lifetime})
		if err != nil {
			return err
		}
		mux.Handle(uriPath+"/", uri)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	log.Printf("oidc-issuer: serving %s (kid %s) on %s", issuerURL, root.KeyID(), ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
