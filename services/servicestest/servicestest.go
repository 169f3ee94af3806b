// Package servicestest is the conformance suite of services.Store: the
// gating and in-progress rules of MS-IPAMM2 3.1.4.2, 3.11.4.7 and 3.15.4.7
// (docs/protocol.md#where-the-rules-live) as table-driven cases, run
// against every Store — the in-memory stand-in (services.Memory) and the
// real data store on each engine (package store) — so neither can drift
// from the rules or from the other.
package servicestest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Start is the server state a case begins in.
type Start int

// The states a Store can be opened in.
const (
	// Fresh: not provisioned (a new server).
	Fresh Start = iota
	// Provisioned: provisioned, at the current schema version.
	Provisioned
	// NeedsConversion: provisioned at an older schema version.
	NeedsConversion
)

func (s Start) String() string {
	return [...]string{"fresh", "provisioned", "needs conversion"}[s]
}

// Subject is one Store under test.
type Subject struct {
	Store services.Store
	// Setting is what provisioning is given (the database to provision);
	// nil for the store's default.
	Setting *ipam.IpamProvisioningSetting
}

// Open returns a new Store in state start, used by one case only. Its
// jobs' Run must succeed (a conversion needs a converter).
type Open func(t *testing.T, start Start) Subject

// portEnumerator is a port type other than the two async ones (MS-IPAMM2's
// IIpamEnumerator): the gating must treat any such port alike.
const portEnumerator = "IIpamEnumerator"

// op is one step of a case.
type op int

const (
	opAdmit             op = iota // services.PreOperation for port
	opBeginProvisioning           // push the job
	opBeginConversion             // push the job
	opRun                         // Run the top job
	opEnd                         // End(ok) the top job and pop it
	opFail                        // the top job fails as a failing Run does: Run of services.WithFailure, then End(false)
)

// step is one operation and what it must give: the IpamExceptionId of its
// error ("" for success), then the flags after it (nil: not checked).
type step struct {
	op    op
	port  string // opAdmit
	ok    bool   // opEnd
	want  string
	state *services.ADMState
}

func admit(port, want string) step { return step{op: opAdmit, port: port, want: want} }
func beginP(want string, st services.ADMState) step {
	return step{op: opBeginProvisioning, want: want, state: &st}
}
func beginC(want string, st services.ADMState) step {
	return step{op: opBeginConversion, want: want, state: &st}
}
func run() step                              { return step{op: opRun} }
func end(ok bool, st services.ADMState) step { return step{op: opEnd, ok: ok, state: &st} }
func fail(st services.ADMState) step         { return step{op: opFail, state: &st} }

// The flag combinations the cases go through.
var (
	none         = services.ADMState{}
	provisioning = services.ADMState{ProvisioningInProgress: true}
	configured   = services.ADMState{Configured: true}
	required     = services.ADMState{Configured: true, ConversionRequired: true}
	converting   = services.ADMState{Configured: true, ConversionRequired: true, ConversionInProgress: true}
)

// scenario is one rule's case.
type scenario struct {
	Name  string
	Rules string // the docs/protocol.md rules it checks
	Start Start
	steps []step
}

// scenarios are the cases Run runs, one per rule or pair of rules.
var scenarios = []scenario{
	{"fresh store admits only provisioning", "G2", Fresh, []step{
		admit(ipam.PortIIpamAsyncProvision, ""),
		admit(ipam.PortIIpamAsyncSchemaConversion, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone),
		admit(portEnumerator, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone),
		beginC(ipam.IpamErrorIPAMNotProvisioned, none),
	}},
	{"provisioning once", "P7 P10", Fresh, []step{
		beginP("", provisioning),
		admit(ipam.PortIIpamAsyncProvision, ""),
		beginP(ipam.IpamApiProvisioningAlreadyInProgress, provisioning),
		run(),
		end(true, configured),
		admit(ipam.PortIIpamAsyncProvision, ""),
		admit(ipam.PortIIpamAsyncSchemaConversion, ""),
		admit(portEnumerator, ""),
		beginC(ipam.IpamSchemaConversionNotRequired, configured),
	}},
	{"provisioning twice", "P8", Provisioned, []step{
		beginP(ipam.IpamApiErrorIpamAlreadyProvisioned, configured),
		beginP(ipam.IpamApiErrorIpamAlreadyProvisioned, configured),
	}},
	{"provisioning fails mid-way and resumes", "P10", Fresh, []step{
		beginP("", provisioning),
		fail(none),
		admit(ipam.PortIIpamAsyncSchemaConversion, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone),
		beginP("", provisioning),
		end(false, none),
		beginP("", provisioning),
		run(),
		end(true, configured),
	}},
	{"conversion not needed", "C6", Provisioned, []step{
		admit(ipam.PortIIpamAsyncSchemaConversion, ""),
		beginC(ipam.IpamSchemaConversionNotRequired, configured),
		beginC(ipam.IpamSchemaConversionNotRequired, configured),
	}},
	{"conversion needed", "G3 C5 C9", NeedsConversion, []step{
		admit(ipam.PortIIpamAsyncProvision, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone),
		admit(portEnumerator, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone),
		admit(ipam.PortIIpamAsyncSchemaConversion, ""),
		beginP(ipam.IpamApiErrorIpamAlreadyProvisioned, required),
		beginC("", converting),
		beginC(ipam.IpamSchemaConversionAnotherOperationInProgress, converting),
		run(),
		end(true, configured),
		admit(ipam.PortIIpamAsyncProvision, ""),
		admit(portEnumerator, ""),
		beginC(ipam.IpamSchemaConversionNotRequired, configured),
	}},
	{"conversion fails mid-way and resumes", "C10", NeedsConversion, []step{
		beginC("", converting),
		fail(required),
		admit(ipam.PortIIpamAsyncProvision, ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone),
		beginC("", converting),
		end(false, required),
		beginC("", converting),
		run(),
		end(true, configured),
	}},
}

// Run runs every case and the concurrency cases against the Stores open
// makes.
func Run(t *testing.T, open Open) {
	for _, c := range scenarios {
		t.Run(c.Name, func(t *testing.T) {
			runCase(t, open(t, c.Start), c)
		})
	}
	runPorts(t, open)
	t.Run("concurrent provisioning starts (P7)", func(t *testing.T) {
		subj := open(t, Fresh)
		concurrent(t, subj.Store, func(ctx context.Context) (services.Job, error) {
			return subj.Store.BeginProvisioning(ctx, subj.Setting)
		}, ipam.IpamApiProvisioningAlreadyInProgress, none)
	})
	t.Run("concurrent conversion starts (C5)", func(t *testing.T) {
		subj := open(t, NeedsConversion)
		concurrent(t, subj.Store, subj.Store.BeginConversion, ipam.IpamSchemaConversionAnotherOperationInProgress, required)
	})
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// id is the IpamExceptionId a client would see for err, "" for none.
func id(err error) string {
	if err == nil {
		return ""
	}
	return adm.Exception(err, "(port type's failure id)").ExceptionID
}

func runCase(t *testing.T, subj Subject, c scenario) {
	ctx := ctxFor(t)
	var jobs []services.Job
	top := func(i int) services.Job {
		if len(jobs) == 0 {
			t.Fatalf("step %d: no job (case table error)", i)
		}
		return jobs[len(jobs)-1]
	}
	defer func() { // release what a failed case left marked
		for i := len(jobs) - 1; i >= 0; i-- {
			_ = jobs[i].End(context.WithoutCancel(ctx), false)
		}
	}()
	for i, s := range c.steps {
		var err error
		what := ""
		switch s.op {
		case opAdmit:
			what = "admit " + s.port
			if exc := services.PreOperation(ctx, subj.Store, s.port); exc != nil {
				err = exc
			}
		case opBeginProvisioning:
			what = "BeginProvisioning"
			var j services.Job
			if j, err = subj.Store.BeginProvisioning(ctx, subj.Setting); err == nil {
				jobs = append(jobs, j)
			}
		case opBeginConversion:
			what = "BeginConversion"
			var j services.Job
			if j, err = subj.Store.BeginConversion(ctx); err == nil {
				jobs = append(jobs, j)
			}
		case opRun:
			what = "Run"
			err = top(i).Run(ctx)
		case opEnd:
			what = fmt.Sprintf("End(%v)", s.ok)
			j := top(i)
			jobs = jobs[:len(jobs)-1]
			err = j.End(ctx, s.ok)
		case opFail:
			what = "failing Run, End(false)"
			j := top(i)
			jobs = jobs[:len(jobs)-1]
			if rerr := failedRun(ctx, j); id(rerr) != ipam.IpamApiGenericErrorOccurred {
				t.Errorf("step %d (%s): Run gave %v, want the injected IpamApiGenericErrorOccurred", i, what, rerr)
			}
			err = j.End(ctx, false)
		}
		if got := id(err); got != s.want {
			t.Fatalf("[%s, rules %s] step %d (%s): got %q (%v), want %q", c.Start, c.Rules, i, what, got, err, orSuccess(s.want))
		}
		if s.state != nil {
			checkState(t, ctx, subj.Store, fmt.Sprintf("[%s] after step %d (%s)", c.Start, i, what), *s.state)
		}
	}
}

// failedRun runs j the way a job whose work fails runs (services.WithFailure,
// dev.fail_with): the work does nothing and fails.
func failedRun(ctx context.Context, j services.Job) error {
	f := services.WithFailure(oneJob{j}, ipam.IpamApiGenericErrorOccurred)
	fj, err := f.BeginConversion(ctx)
	if err != nil {
		return err
	}
	return fj.Run(ctx)
}

// oneJob is a Store whose Begin… hands out j, so services.WithFailure can
// wrap a job already begun.
type oneJob struct{ j services.Job }

func (oneJob) State(context.Context) (services.ADMState, error) { return services.ADMState{}, nil }
func (o oneJob) BeginProvisioning(context.Context, *ipam.IpamProvisioningSetting) (services.Job, error) {
	return o.j, nil
}
func (o oneJob) BeginConversion(context.Context) (services.Job, error) { return o.j, nil }

func orSuccess(id string) string {
	if id == "" {
		return "success"
	}
	return id
}

// checkState compares the four flags (SchemaVersion is the store's own).
func checkState(t *testing.T, ctx context.Context, s services.Store, where string, want services.ADMState) {
	t.Helper()
	got, err := s.State(ctx)
	if err != nil {
		t.Fatalf("%s: State: %v", where, err)
	}
	got.SchemaVersion = ""
	if got != want {
		t.Fatalf("%s: flags %+v, want %+v", where, got, want)
	}
}

// concurrent starts many Begin… at once: exactly one wins, every other one
// is refused with loser, and when the winner fails the flags are back to
// after. Repeated, so a race has several chances to show.
func concurrent(t *testing.T, s services.Store, begin func(context.Context) (services.Job, error), loser string, after services.ADMState) {
	ctx := ctxFor(t)
	const starts, rounds = 8, 3
	for r := 0; r < rounds; r++ {
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			won    []services.Job
			others []error
		)
		for i := 0; i < starts; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := begin(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won = append(won, j)
				} else {
					others = append(others, err)
				}
			}()
		}
		wg.Wait()
		for _, j := range won {
			if err := j.End(ctx, false); err != nil {
				t.Errorf("round %d: End(false): %v", r, err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d of %d concurrent starts won, want exactly 1; refused: %v", r, len(won), starts, others)
		}
		for _, err := range others {
			if id(err) != loser {
				t.Errorf("round %d: a losing start got %s (%v), want %s", r, id(err), err, loser)
			}
		}
		checkState(t, ctx, s, fmt.Sprintf("round %d after the winner failed", r), after)
	}
}
