package peer

import (
	"runtime"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// recorder is a testing.TB that records failures instead of reporting them.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }

func fails(t *testing.T, lines []string, portType string) bool {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		CheckSession(r, lines, portType)
	}()
	<-done
	return r.failed
}

func TestCheckSession(t *testing.T) {
	const (
		init  = "EVENT InitializeAsyncProvisioning result=None t=0.01s"
		start = "EVENT StartAsyncProvisioning result=None t=0.02s"
		ns    = "EVENT NotifyAsyncProvisionStart session=s1 t=0.03s"
		cp    = "EVENT NotifyAsyncProvisionCheckpoint session=s1 t=0.4s"
		done  = "EVENT NotifyAsyncProvisionComplete session=s1 exception=nil t=2s"
	)
	tests := []struct {
		name  string
		lines string
		ok    bool
	}{
		{"full session", "EVENT zeep 4.2.1\n" + init + "\n" + start + "\n" + ns + "\n" + cp + "\n" + cp + "\n" + done + "\nSUMMARY x", true},
		{"no checkpoint", init + "\n" + start + "\n" + ns + "\n" + done, false},
		{"no initialize", start + "\n" + ns + "\n" + cp + "\n" + done, false},
		{"checkpoint after complete", init + "\n" + start + "\n" + ns + "\n" + cp + "\n" + done + "\n" + cp, false},
		{"exception", init + "\n" + start + "\n" + ns + "\n" + cp + "\n" + strings.Replace(done, "exception=nil", "exception=IpamApiErrorIpamAlreadyProvisioned", 1), false},
		{"two sessions", init + "\n" + start + "\n" + ns + "\n" + strings.Replace(cp, "s1", "s2", 1) + "\n" + done, false},
		{"a FAIL line", init + "\n" + start + "\n" + ns + "\n" + cp + "\nFAIL something\n" + done, false},
		{"other port type", strings.ReplaceAll(init+"\n"+start+"\n"+ns+"\n"+cp+"\n"+done, "Provision", "SchemaConversion"), false},
		{"nothing", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := !fails(t, strings.Split(tt.lines, "\n"), ipam.PortIIpamAsyncProvision); got != tt.ok {
				t.Errorf("CheckSession passed = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestEvents(t *testing.T) {
	ev := Events([]string{"noise", "EVENT A x=1 y=a=b flag", "EVENT", "FAIL z"})
	if len(ev) != 1 || ev[0].Name != "A" || ev[0].Fields["x"] != "1" || ev[0].Fields["y"] != "a=b" {
		t.Errorf("Events = %+v", ev)
	}
}
