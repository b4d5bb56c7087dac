//go:build unix

package testredis

import "syscall"

// Pause stops the server's process (SIGSTOP): it keeps its connections and keys but answers
// nothing, as a Redis stalled by the machine it runs on; what clients send meanwhile waits in
// its sockets and runs once Resume is called.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		s.t.Fatal("testredis: the server is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("testredis: %v: %v", sig, err)
	}
}
