package obs

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

// ForPerson reports whether a binary writing its log to w writes for a
// person rather than a log collector, given the TOLLGATE_LOG_FORMAT value
// format: "text" says so, "json" says not, and empty it is so when w is a
// terminal. Callers under Lambda do not ask: CloudWatch reads JSON.
func ForPerson(w io.Writer, format string) (bool, error) {
	switch format {
	case "text":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, fmt.Errorf("TOLLGATE_LOG_FORMAT=%q: want json or text", format)
	}
	f, ok := w.(*os.File)
	if !ok {
		return false, nil
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0, nil
}

// NewLogger returns a logger writing to w: slog's text format for a person,
// JSON otherwise.
func NewLogger(w io.Writer, forPerson bool) *slog.Logger {
	if forPerson {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
