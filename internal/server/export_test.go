package server

// CloseListener closes the i-th bound listener under the running server, as
// a failed socket would end it.
func CloseListener(s *Server, i int) error { return s.listeners[i].Close() }
