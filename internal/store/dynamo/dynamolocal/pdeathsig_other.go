//go:build !linux

package dynamolocal

import "os/exec"

// setParentDeathSignal has no portable equivalent outside Linux; Close
// stops the server.
func setParentDeathSignal(*exec.Cmd) {}
