package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// errExists is an output file that exists while --overwrite was not given.
var errExists = errors.New("output file exists")

// errOutput is an output that cannot be written.
var errOutput = errors.New("cannot write output")

// writeFileAtomic writes data to path so that readers see either nothing or the whole file:
// it writes a temporary file in the same directory, syncs it, and moves it into place.
// Without overwrite, an existing path is never replaced, even if it appears meanwhile
// (the move is a hard link, which fails on an existing name).
func writeFileAtomic(path string, data []byte, perm fs.FileMode, overwrite bool) (err error) {
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%w: %s (use --overwrite to replace it)", errExists, path)
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errOutput, path, errors.Unwrap(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if overwrite {
		return os.Rename(tmp.Name(), path)
	}
	if err = os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (use --overwrite to replace it)", errExists, path)
		}
		return err
	}
	return os.Remove(tmp.Name())
}

// progressThreshold is the "handful" of files above which a terminal shows progress.
const progressThreshold = 5

// progress redraws one line on a terminal's stderr while many files are signed or verified:
// done/total, failures so far, the rate. Lines printed in between go through clear first.
// It draws nothing unless on (stderr is a terminal, text output, more than a handful).
type progress struct {
	w                   io.Writer
	on                  bool
	total, done, failed int
	start               time.Time
	verb                string
}

func newProgress(env *Env, total int, textOutput bool, verb string) *progress {
	return &progress{w: env.Stderr, on: env.ProgressTTY && textOutput && total > progressThreshold,
		total: total, start: time.Now(), verb: verb}
}

// clear erases the progress line before another line is printed.
func (p *progress) clear() {
	if p.on && p.done > 0 && p.done < p.total {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// step counts one finished file and redraws the line (not after the last file).
func (p *progress) step(failed bool) {
	p.done++
	if failed {
		p.failed++
	}
	if !p.on || p.done == p.total {
		return
	}
	rate := float64(p.done) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] %s, %d failed, %.0f files/s", p.done, p.total, p.verb, p.failed, rate)
}
