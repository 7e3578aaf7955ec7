// Command fileserver serves a directory read-only on loopback. The local
// stack uses it to publish Rekor v2's POSIX storage (checkpoint, tiles, entry
// bundles), because rekor-server-posix answers 501 to its own read API:
//
//	fileserver --addr 127.0.0.1:3003 --dir .cache/stack/run/rekor2
//	curl http://127.0.0.1:3003/checkpoint
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3003", "listen address (loopback only)")
	dir := flag.String("dir", ".", "directory to serve")
	flag.Parse()
	if err := run(*addr, *dir); err != nil {
		log.Fatalf("fileserver: %v", err)
	}
}

func run(addr, dir string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return errors.New("--addr must be a loopback address")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return errors.New("--dir " + dir + " is not a directory")
	}
	files := http.FileServer(http.Dir(dir))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		// Checkpoints change every second; tiles are immutable once full.
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Printf("fileserver: serving %s on %s", dir, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
