//go:build linux

package embedded

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped drops this process's mapping of the store file's pages
// (madvise MADV_DONTNEED on bbolt's shared, read-only mapping). The data
// stays in the page cache and on disk; a page a transaction reads next
// faults back in, from memory. Spend records are appended at the end of
// their ranges, so the pages that stay hot are few, but bbolt reads every
// leaf through the mapping while it fills, and without this the process's
// resident set grows with the file (RSS counts mapped file pages).
func (d *Driver) releaseMapped() error {
	return d.db.View(func(tx *bolt.Tx) error {
		// A read transaction holds bbolt's mmap lock: the mapping cannot
		// be replaced while it is advised, and tx.Size() lies within it.
		info := d.db.Info()
		_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
		if errno != 0 {
			return errno
		}
		return nil
	})
}
