// Package history is chat history: sessions of a conversation kept by the
// gateway, so a client sends only its new turn and the gateway prepends the
// rest (the genai-gateway middleware's feature, on both interfaces).
//
// # Ownership
//
// A session belongs to an owner string that the caller derives from the
// principal (the app does: the key's hash, "master" for the master key, or
// "user:<id>" when sessions are shared among a user's keys). Every read and
// write names the owner, and the store treats another owner's session
// exactly like a missing one, so a caller learns nothing about sessions it
// does not own. An unknown session id is ErrNotFound, never a silent new
// session.
//
// # Turns
//
// Begin loads the session a request names and prepends its conversation to
// the request's messages (or, for enable_history without a session id,
// picks the id of a new session). Record stores the messages the client
// sent and the model's reply, one store item each, append-only: sequence
// numbers come from one atomic add, so concurrent turns on one session
// never lose a message (their messages interleave turn by turn, each turn
// consecutive). A new session is created by its first Record, so a call
// that fails before any reply leaves nothing behind.
//
// A streamed reply is collected as it is relayed (Collector). When the
// stream completed it is stored as an ordinary reply. When it did not (the
// client went away, or the upstream failed mid-stream) the turn is still
// stored, with the reply marked incomplete: the user saw that partial text,
// so the conversation keeps it, and /chat-history shows the mark. Partial
// tool calls of an incomplete reply are dropped (their arguments are cut
// JSON), and an incomplete reply with no text is not sent upstream again.
// Nothing is ever half-written without the mark.
//
// # Expiry and writes
//
// A session and its messages expire TTL after the session was created
// (DefaultTTL, 30 days; TOLLGATE_HISTORY_TTL in the app). Record runs under
// its own bounded context (WriteTimeout, 5 s by default), detached from the
// request's cancellation so a client that hung up does not lose the turn,
// and returns before the handler does: Lambda freezes the container after
// the response, so no write may outlive the handler.
package history
