// Package tenancy is the management service: virtual keys, users, teams,
// organizations and their members, the role rules of every operation (one
// table of Ops, roles.go; httpapi maps LiteLLM's routes to them), the
// isolation and escalation rules that bound what a non-admin may do, and model access
// (which models a key, its user and its team allow).
//
// Request and response shapes are LiteLLM's (types.go). The HTTP layer
// (internal/httpapi, manage*.go) decodes, calls a Service method with the
// authenticated principal, and renders the result or the *Error.
//
// Isolation rules, enforced here and nowhere else:
//   - a caller without a user (the master key aside: a service key) has no
//     management rights at all;
//   - a non-admin acts only on their own keys and user record, and on teams
//     they belong to (team admins may change members and the team's alias);
//   - a non-admin cannot give a key a model, budget or limit beyond their
//     own or, for a team key, the team's;
//   - a JWT user may create their own user record (self sign-up), bounded
//     by the admin's defaults for internal users;
//   - deleting a user deletes their keys and memberships; deleting a team
//     deletes its keys.
//
// Multi-record operations check every precondition before the first write,
// so a refused or invalid request changes nothing.
package tenancy
