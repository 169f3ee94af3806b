package admission

import (
	"bufio"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func tcp(s string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestKey(t *testing.T) {
	for _, tt := range []struct {
		addr net.Addr
		want string
		ok   bool
	}{
		{tcp("127.0.0.2:5000"), "127.0.0.2/32", true},
		{tcp("[::ffff:10.0.0.1]:1"), "10.0.0.1/32", true},
		{tcp("[2001:db8:1:2:3:4:5:6]:1"), "2001:db8:1:2::/64", true},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, "", false},
		{nil, "", false},
	} {
		k, ok := Key(tt.addr)
		if ok != tt.ok || (ok && k.String() != tt.want) {
			t.Errorf("Key(%v) = %v, %v; want %s, %v", tt.addr, k, ok, tt.want, tt.ok)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := New(3, 2)
	a, b := tcp("127.0.0.2:1"), tcp("127.0.0.1:1")
	steps := []struct {
		addr net.Addr
		want Reason
	}{
		{a, Admitted}, {a, Admitted}, {a, TooManyFromAddress}, // per address
		{tcp("[2001:db8::1]:1"), Admitted}, {b, TooMany}, // total
	}
	var held []Ticket
	for i, s := range steps {
		tk, got := l.Acquire(s.addr)
		if got != s.want {
			t.Fatalf("step %d: Acquire(%v) = %v, want %v", i, s.addr, got, s.want)
		}
		if got == Admitted {
			held = append(held, tk)
		}
	}
	if st := l.Stats(); st.Active != 3 || st.Addresses != 2 || st.RefusedTotal != 1 || st.RefusedAddress != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	held[0].Release()
	if _, got := l.Acquire(b); got != Admitted {
		t.Fatalf("after a release: %v, want admitted", got)
	}
	l.SetLimits(0, 0)
	for range 10 {
		if _, got := l.Acquire(a); got != Admitted {
			t.Fatalf("without caps: %v", got)
		}
	}
	Ticket{}.Release() // harmless
}

// TestListenerRefuses: the listener answers a refused connection and keeps
// serving the admitted ones; closing an admitted one frees its slot.
func TestListenerRefuses(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(raw, New(0, 1), func(c net.Conn, why Reason) { _, _ = c.Write([]byte("busy " + why.String() + "\n")) })
	defer ln.WaitRefusals()
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	first, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	srvSide := <-accepted
	second, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_ = second.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(second).ReadString('\n')
	if err != nil || line != "busy address_limit\n" {
		t.Fatalf("refused connection read %q, %v", line, err)
	}
	srvSide.Close()
	third, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("a connection after the release was not admitted")
	}
}
