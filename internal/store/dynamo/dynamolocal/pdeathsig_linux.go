package dynamolocal

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the server when the test binary dies without
// calling Close (a panic, a timeout), so no JVM outlives its tests.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
