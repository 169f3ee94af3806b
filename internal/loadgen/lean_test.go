package loadgen

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/soap"
)

// TestLeanAndRealClients: both clients run clean sessions against ipamd in
// both encodings, with the same outcome (the lean client's checks accept
// what ipamd sends).
func TestLeanAndRealClients(t *testing.T) {
	target := startIPAMD(t)
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
		for _, kind := range []ClientKind{ClientLean, ClientReal} {
			t.Run(EncodingName(enc)+"/"+string(kind), func(t *testing.T) {
				r, err := Run(context.Background(), Config{Mode: ModeSessions, Target: target, Encoding: enc,
					Client: kind, Clients: 4, Count: 40})
				if err != nil {
					t.Fatal(err)
				}
				checkClean(t, r, 40)
				if r.Client != kind {
					t.Errorf("report client %q, want %q", r.Client, kind)
				}
				if r.Outcomes["IpamApiErrorIpamAlreadyProvisioned"] != 40 {
					t.Errorf("outcomes %v", r.Outcomes)
				}
			})
		}
	}
}

// TestLeanClientChecksReplies: a server whose reply is not related to the
// request, carries the wrong Action or never comes fails every session.
func TestLeanClientChecksReplies(t *testing.T) {
	tests := []struct {
		name  string
		serve func(cs *cannedSession, nc net.Conn, msg int) []byte
	}{
		{"RelatesTo not patched", func(cs *cannedSession, _ net.Conn, msg int) []byte {
			if msg == 1 {
				return cs.reply // still the placeholder
			}
			return cs.tail
		}},
		{"callbacks instead of the reply", func(cs *cannedSession, _ net.Conn, msg int) []byte {
			return cs.tail // Notify…Start has not the reply's Action
		}},
		{"no reply", func(cs *cannedSession, _ net.Conn, msg int) []byte {
			return nil // the session times out
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeServer(t, soap.EncodingBinarySession, tt.serve)
			r, err := Run(context.Background(), Config{Mode: ModeSessions, Target: "net.tcp://" + addr + "/ipam/IIpamAsyncProvision",
				Clients: 2, Count: 4, SessionTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sessions != 0 || r.ErrorCount() != 4 {
				t.Errorf("sessions %d, errors %v: want 4 failed", r.Sessions, r.Errors)
			}
		})
	}
}

// fakeServer answers the preamble and then, for the n-th message, writes
// what answer returns.
func fakeServer(t *testing.T, enc soap.Encoding, answer func(cs *cannedSession, nc net.Conn, msg int) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := newCannedSession(enc, "net.tcp://"+ln.Addr().String()+"/ipam/IIpamAsyncProvision")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(2 * time.Second))
				fr := nmf.NewFramer(nc, nc, nmf.Limits{})
				if _, err := fr.ReadPreamble(nil); err != nil {
					return
				}
				if fr.WriteRecord(nmf.RecordPreambleAck) != nil {
					return
				}
				for msg := 1; ; msg++ {
					typ, err := fr.ReadRecordType()
					if err != nil || typ != nmf.RecordSizedEnvelope {
						return
					}
					if fr.DiscardEnvelope() != nil {
						return
					}
					if b := answer(cs, nc, msg); b != nil {
						_, _ = nc.Write(b)
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

// TestClientCheck: Compare measures the canned ceiling at the extra client
// counts and says whether the measured one is within 10 % of the best.
func TestClientCheck(t *testing.T) {
	target := startIPAMD(t)
	cmp, err := Compare(context.Background(), Config{Mode: ModeSessions, Target: target, Clients: 2, Duration: 300 * time.Millisecond,
		ClientCheck: []int{1, 4}, CheckDuration: 300 * time.Millisecond}, []Ceiling{CeilingCanned})
	if err != nil {
		t.Fatal(err)
	}
	c := cmp.ClientCheck
	if c == nil || len(c.Rates) != 2 || c.Best < c.Measured || c.OfBest <= 0 || c.OfBest > 1 {
		t.Fatalf("client check %+v", c)
	}
	if c.NotLimited != (c.OfBest >= 0.9) {
		t.Errorf("NotLimited %v with %.2f of the best", c.NotLimited, c.OfBest)
	}
}

// TestCompareRounds: in rounds, ipamd and the ceiling each run once per
// round on a share of the duration, each round's ratio is kept and the
// ratio is their median; rounds with a count instead of a duration are
// refused. (Which of the two runs first in a round is not observable here.)
func TestCompareRounds(t *testing.T) {
	target := startIPAMD(t)
	const rounds = 3
	cmp, err := Compare(context.Background(), Config{Mode: ModeSessions, Target: target, Clients: 2,
		Duration: rounds * 200 * time.Millisecond, Rounds: rounds}, []Ceiling{CeilingCanned})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Runs) != 2*rounds {
		t.Fatalf("%d runs for %d rounds of ipamd and one ceiling", len(cmp.Runs), rounds)
	}
	var want []float64
	for i := 0; i < len(cmp.Runs); i += 2 {
		r, cr := cmp.Runs[i], cmp.Runs[i+1]
		if r.Server != "ipamd" || cr.Server != string(CeilingCanned) || r.Round != i/2+1 || cr.Round != r.Round {
			t.Fatalf("runs %d, %d: %s round %d, %s round %d", i, i+1, r.Server, r.Round, cr.Server, cr.Round)
		}
		if r.Elapsed > time.Second || r.Sessions == 0 || cr.Sessions == 0 {
			t.Errorf("round %d: ipamd %d sessions in %v, canned %d: the duration is not split", r.Round, r.Sessions, r.Elapsed, cr.Sessions)
		}
		want = append(want, r.Rate/cr.Rate)
	}
	got := cmp.RoundRatios[CeilingCanned]
	if !slices.Equal(got, want) {
		t.Fatalf("round ratios %v, want %v", got, want)
	}
	if m := cmp.Ratios[CeilingCanned]; m != slices.Sorted(slices.Values(want))[1] {
		t.Errorf("ratio %v is not the median of %v", m, want)
	}
	_, err = Compare(context.Background(), Config{Mode: ModeSessions, Target: target, Count: 10, Rounds: 2}, []Ceiling{CeilingCanned})
	if !errors.Is(err, ErrConfig) {
		t.Errorf("rounds with a count: %v, want ErrConfig", err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestProcessCPU(t *testing.T) {
	d, err := selfCPU()
	if err != nil {
		t.Skip(err) // not Linux
	}
	if d < 0 {
		t.Errorf("CPU %v", d)
	}
}

// TestScale: a curve has a point per client count with both rates and a
// point per held count with the memory growth over the first reading.
func TestScale(t *testing.T) {
	target := startIPAMD(t)
	var reads int64
	mem := func() (int64, error) { reads++; return reads << 20, nil }
	rep, err := Scale(context.Background(), Config{Target: target, Duration: 200 * time.Millisecond, ServerMemory: mem},
		[]int{1, 2}, []int{8}, Config{Clients: 4, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sessions) != 2 || rep.Sessions[1].Clients != 2 {
		t.Fatalf("sessions curve %+v", rep.Sessions)
	}
	for _, p := range rep.Sessions {
		if p.IPAMD <= 0 || p.Canned <= 0 || p.Ratio <= 0 || p.Errors != 0 {
			t.Errorf("point %+v", p)
		}
	}
	// Readings: 1 MiB before, then the hold's own before (2) and held (3).
	if len(rep.Held) != 1 || rep.Held[0].Held != 8 || rep.Held[0].PerSession != (3<<20-1<<20)/8 {
		t.Errorf("held curve %+v", rep.Held)
	}
}
