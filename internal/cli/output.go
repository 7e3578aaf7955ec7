package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
