package main

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// synDrop is a classic BPF socket filter that drops TCP segments with SYN
// set and keeps the rest. On a listening socket it sees each segment from
// its TCP header, whose byte 13 holds the flags; the ACK that completes a
// handshake already in flight has no SYN, so that connection still joins
// the queue.
var synDrop = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},
	{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, K: 0x02, Jt: 0, Jf: 1},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},
}

// refuseNew makes the kernel drop new connection attempts to ln while the
// accept queue drains: a client's SYN is dropped, it retries after a
// second and meets a closed port. Closing the socket with the attempts
// still coming would reset every connection queued in that instant.
func refuseNew(ln *net.TCPListener) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return fmt.Errorf("refuse new connections: %w", err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
			&unix.SockFprog{Len: uint16(len(synDrop)), Filter: &synDrop[0]}) // #nosec G115 -- a filter of a few instructions
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("refuse new connections: attach a socket filter: %w", err)
	}
	return nil
}

// queued reports whether a connection waits in ln's accept queue, asking
// the kernel: a listening socket polls readable while its queue is not
// empty.
func queued(ln *net.TCPListener) bool {
	rc, err := ln.SyscallConn()
	if err != nil {
		return false
	}
	ready := false
	_ = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}} // #nosec G115 -- a descriptor is a small int
		n, err := unix.Poll(fds, 0)
		for err == unix.EINTR {
			n, err = unix.Poll(fds, 0)
		}
		ready = err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
	})
	return ready
}
