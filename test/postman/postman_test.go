package postman_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/test/internal/peer"
	"github.com/ipamd/ipamd/test/postman"
	"github.com/ipamd/ipamd/test/soapui"
)

const (
	collectionFile = "ipamd.postman_collection.json"
	newmanTimeout  = 3 * time.Minute
	// callbackWait bounds a "Receive callbacks" GET: the flow's work
	// (daemon.DefaultWorkDuration) and its callbacks.
	callbackWait = 30 * time.Second
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		daemon.Cleanup()
		os.Exit(code)
	}))
}

// TestCollectionUpToDate: the checked-in collection is what the message
// files give today (go generate ./test/postman).
func TestCollectionUpToDate(t *testing.T) {
	want, err := postman.Build()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(collectionFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate ./test/postman", collectionFile)
	}
	var c struct {
		Info struct{ Schema string }
		Item []struct{ Name string }
	}
	if err := json.Unmarshal(got, &c); err != nil {
		t.Fatal(err)
	}
	if c.Info.Schema != "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" || len(c.Item) != len(soapui.Flows)+1 {
		t.Fatalf("collection: schema %q, %d folders", c.Info.Schema, len(c.Item))
	}
}

// sink is the Postman run's callback listener: ipamd POSTs the Notify…
// callbacks to <URL>/<flow>; a GET of <URL>/<flow>?wait=Complete answers,
// once a Notify…Complete arrived (or after callbackWait), {"callbacks":
// [the bodies in arrival order]}.
type sink struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     map[string][]string
	arrived chan struct{} // closed and replaced at every POST
}

var actionRe = regexp.MustCompile(`<(?:[\w.-]+:)?Action[^>]*>([^<]*)</`)

func newSink(t *testing.T) *sink {
	s := &sink{got: map[string][]string{}, arrived: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.got[r.URL.Path] = append(s.got[r.URL.Path], string(body))
		close(s.arrived)
		s.arrived = make(chan struct{})
		s.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case http.MethodGet:
		deadline := time.After(callbackWait)
		for {
			s.mu.Lock()
			got, arrived := append([]string(nil), s.got[r.URL.Path]...), s.arrived
			s.mu.Unlock()
			if n := len(got); n > 0 && strings.HasSuffix(action(got[n-1]), "Complete") || r.URL.Query().Get("wait") == "" {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string][]string{"callbacks": got})
				return
			}
			select {
			case <-arrived:
			case <-deadline:
				http.Error(w, fmt.Sprintf("no Notify…Complete within %v (%d callbacks)", callbackWait, len(got)), http.StatusGatewayTimeout)
				return
			case <-r.Context().Done():
				return
			}
		}
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func action(body string) string {
	if m := actionRe.FindStringSubmatch(body); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// newmanReport is the part of newman's JSON reporter output checked here.
type newmanReport struct {
	Run struct {
		Stats struct {
			Requests, Assertions struct{ Total, Failed int }
		}
		Failures []struct {
			Source struct{ Name string }
			Error  struct{ Name, Message, Test string }
		}
	}
}

// TestNewman runs the collection with newman against two real ipamd
// daemons (a fresh one for provisioning, one started requiring a schema
// conversion), each flow's a:ReplyTo pointing at this test's listener.
// Every assertion of the collection must run and pass; then the callbacks
// the listener received are compared here as well with the SoapUI
// project's expected files.
func TestNewman(t *testing.T) {
	modules := peer.NodeModules(t, "newman", "newman")
	prov := daemon.Start(t)
	conv := daemon.Start(t, daemon.FlagRequireConversion)
	cb := newSink(t)

	report := filepath.Join(t.TempDir(), "newman.json")
	peer.Run(t, newmanTimeout, nil, "node", filepath.Join(modules, "newman", "bin", "newman.js"), "run", collectionFile,
		"--env-var", postman.VarProvisionEndpoint+"="+prov.Provision(),
		"--env-var", postman.VarConversionEndpoint+"="+conv.Conversion(),
		"--env-var", postman.VarCallbackBase+"="+cb.srv.URL,
		"--timeout-request", fmt.Sprint((callbackWait + 10*time.Second).Milliseconds()),
		"--reporters", "cli,json", "--reporter-json-export", report, "--color", "off", "--disable-unicode")

	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("newman wrote no report: %v", err)
	}
	var r newmanReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Run.Failures {
		t.Errorf("newman: %s: %s %s", f.Source.Name, f.Error.Test, f.Error.Message)
	}
	coll, err := os.ReadFile(collectionFile)
	if err != nil {
		t.Fatal(err)
	}
	// Every request ran once and every pm.test in it ran once.
	wantTests := strings.Count(string(coll), "pm.test(")
	wantRequests := strings.Count(string(coll), `"method":`)
	st := r.Run.Stats
	t.Logf("newman: %d requests, %d assertions, %d failed", st.Requests.Total, st.Assertions.Total, st.Assertions.Failed)
	if st.Requests.Total != wantRequests || st.Requests.Failed != 0 {
		t.Errorf("newman sent %d requests (%d failed), the collection has %d", st.Requests.Total, st.Requests.Failed, wantRequests)
	}
	if st.Assertions.Total != wantTests || st.Assertions.Failed != 0 {
		t.Errorf("newman ran %d assertions (%d failed), the collection has %d", st.Assertions.Total, st.Assertions.Failed, wantTests)
	}

	// The same callbacks, checked against the expected files.
	for _, f := range soapui.Flows {
		props := map[string]string{
			soapui.PropProvisionEndpoint: prov.Provision(), soapui.PropConversionEndpoint: conv.Conversion(),
			soapui.PropCallbackURL: cb.srv.URL + "/" + f.Name,
		}
		cb.mu.Lock()
		got := cb.got["/"+f.Name]
		cb.mu.Unlock()
		if len(got) < 3 {
			t.Errorf("%s: %d callbacks received, want Start, Checkpoint…, Complete", f.Name, len(got))
			continue
		}
		for i, body := range got {
			file := f.Checkpoint
			switch i {
			case 0:
				file = f.Started
			case len(got) - 1:
				file = f.Completed
			}
			tmpl, err := soapui.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := soapui.Expand(tmpl, props)
			if err != nil {
				t.Fatal(err)
			}
			if err := soapui.Compare(want, []byte(body)); err != nil {
				t.Errorf("%s callback %d vs %s: %v\n%s", f.Name, i, file, err, body)
			}
		}
	}
}
