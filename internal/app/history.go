package app

// Chat history: the history service over the process-wide store, and who
// owns a caller's sessions.
//
// Environment:
//   - TOLLGATE_HISTORY_TTL: how long a session (and every message in it)
//     lives after its creation: a Go duration ("720h") or whole days
//     ("30d"); "off" keeps sessions until deleted. Default 30d.
//   - TOLLGATE_HISTORY_USER_SESSIONS: "true" shares sessions among all the
//     keys of one user (and that user's JWT logins); default false, so a
//     session belongs to the key that created it. Switching it changes
//     the owner new lookups use: sessions created under the other setting
//     are not visible until it is switched back.
//
// Owners: the master key's sessions belong to "master"; a virtual key's to
// its hash (or "user:<id>" when shared); a JWT caller's to "user:<sub>",
// since a token is short-lived and its user is the stable identity.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-gw/tollgate/internal/auth"
	"github.com/tollgate-gw/tollgate/internal/history"
	"github.com/tollgate-gw/tollgate/internal/httpapi"
)

// Environment variables chat history reads (through internal/env), named
// in its errors.
const (
	envHistoryTTL          = "TOLLGATE_HISTORY_TTL"
	envHistoryUserSessions = "TOLLGATE_HISTORY_USER_SESSIONS"
)

// newHistory builds the chat-history wiring over the identity's store;
// nil when there is no store (history requests then answer 501).
func newHistory(id *identity) (*httpapi.History, error) {
	if id == nil {
		return nil, nil
	}
	ttl, err := historyTTL(id.env.HistoryTTL)
	if err != nil {
		return nil, err
	}
	share := false
	if v := id.env.HistoryUserSessions; v != "" {
		if share, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("%s=%q: want true or false", envHistoryUserSessions, v)
		}
	}
	return &httpapi.History{Service: history.New(id.store, &history.Options{TTL: ttl}), Owner: historyOwner(share)}, nil
}

// historyTTL parses TOLLGATE_HISTORY_TTL: empty is the default, "off" is no
// expiry (a negative TTL to history.New).
func historyTTL(v string) (time.Duration, error) {
	switch {
	case v == "":
		return history.DefaultTTL, nil
	case v == "off":
		return -1, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 720h or 30d, or off", envHistoryTTL, v)
	}
	return d, nil
}

// historyOwner returns the function that names the owner of the calling
// principal's sessions. share puts all of a user's keys under the user.
func historyOwner(share bool) func(context.Context) (history.Owner, bool) {
	return func(ctx context.Context) (history.Owner, bool) {
		p := auth.FromContext(ctx)
		if p == nil {
			return history.Owner{}, false
		}
		switch p.Kind {
		case auth.KindMaster:
			return history.Owner{ID: "master"}, true
		case auth.KindKey:
			if share && p.UserID != "" {
				return history.Owner{ID: "user:" + p.UserID, UserID: p.UserID}, true
			}
			if p.KeyHash != "" {
				return history.Owner{ID: p.KeyHash, UserID: p.UserID}, true
			}
		case auth.KindJWT:
			if p.UserID != "" {
				return history.Owner{ID: "user:" + p.UserID, UserID: p.UserID}, true
			}
		}
		return history.Owner{}, false
	}
}
