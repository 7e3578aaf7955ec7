package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.sigstore.json")

	require.NoError(t, writeFileAtomic(path, []byte("one"), 0o644, false))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "one", string(data))

	// Never over an existing file without overwrite, and the old content stays.
	err = writeFileAtomic(path, []byte("two"), 0o644, false)
	require.ErrorIs(t, err, errExists)
	data, _ = os.ReadFile(path)
	require.Equal(t, "one", string(data))

	require.NoError(t, writeFileAtomic(path, []byte("three"), 0o600, true))
	data, _ = os.ReadFile(path)
	require.Equal(t, "three", string(data))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// No temporary files are left behind, on success or failure.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	// A directory that does not exist fails without creating anything.
	require.Error(t, writeFileAtomic(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644, false))
	entries, _ = os.ReadDir(dir)
	require.Len(t, entries, 1)
}
