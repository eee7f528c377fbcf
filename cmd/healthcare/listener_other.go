//go:build !linux

package main

import "net"

// refuseNew does nothing off Linux: there the drain ends when the queue
// stays empty for drainQuiet or at drainLimit.
func refuseNew(*net.TCPListener) error { return nil }

// queued cannot tell off Linux, so an Accept that timed out ends the drain.
func queued(*net.TCPListener) bool { return false }
