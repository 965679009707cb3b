//go:build !linux

package embedded

// releaseMapped is a no-op where the store's mapping is not released
// (release_linux.go).
func (d *Driver) releaseMapped() error { return nil }
