package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/internal/server/servertest"
)

// postSOAP POSTs a SOAP 1.2 message to url and returns the status and body.
func postSOAP(t testing.TB, url, msg string) (int, string) {
	t.Helper()
	resp, err := httpClient.Post(url, "application/soap+xml; charset=utf-8", strings.NewReader(msg))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// envelope12 is a SOAP 1.2 envelope with these header blocks and an empty
// body.
func envelope12(headers string) string {
	return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">` +
		`<s:Header><a:Action s:mustUnderstand="1">urn:x</a:Action>` + headers + `</s:Header><s:Body/></s:Envelope>`
}

// TestEchoBoundPerServer: limits.max_echo_bytes belongs to each server, not
// to the process: two servers in one process with different bounds, asked
// in turn, each cut the client's text at their own — in the HTTP
// transport's own faults (an unknown path) and in the SOAP decoder's (a
// mustUnderstand header it does not know).
func TestEchoBoundPerServer(t *testing.T) {
	servers := map[int]*servertest.Server{
		40:  servertest.Start(t, servertest.Set("limits.max_echo_bytes", "40")),
		300: servertest.Start(t, servertest.Set("limits.max_echo_bytes", "300")),
	}
	long := strings.Repeat("p", 1000)
	// Interleaved: a bound set by the last server started would show here.
	for _, bound := range []int{40, 300, 40, 300} {
		s := servers[bound]
		// cut checks that the client's text, prefix then 1000 p, is echoed
		// as its first bound bytes and the marker.
		cut := func(what, body, prefix string) {
			t.Helper()
			kept := prefix + strings.Repeat("p", bound-len(prefix))
			if !strings.Contains(body, kept+"…[truncated "+itoa(len(prefix)+1000-bound)+" bytes]") ||
				strings.Contains(body, kept+"p") {
				t.Errorf("bound %d, %s: the answer does not cut the client's text at %d bytes: %.400s", bound, what, bound, body)
			}
		}
		status, body := postSOAP(t, "http://"+s.HTTP+"/"+long, envelope12(""))
		if status != http.StatusNotFound {
			t.Fatalf("bound %d, unknown path: status %d: %.300s", bound, status, body)
		}
		cut("unknown path", body, "/")
		status, body = postSOAP(t, s.ProvisionURI("http"), envelope12(`<x:`+long+` xmlns:x="urn:x" s:mustUnderstand="1"/>`))
		if status != http.StatusInternalServerError || !strings.Contains(body, "MustUnderstand") {
			t.Fatalf("bound %d, unknown mustUnderstand header: status %d: %.300s", bound, status, body)
		}
		cut("mustUnderstand header", body, "")
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// TestReloadReaderQuotaHTTP: a reload of a SOAP reader quota reaches the
// HTTP transport, which reads every request with the quotas it holds when
// the request arrives: a 1000-byte a:MessageID passes the header quota
// before (the request is refused later, for its missing a:ReplyTo) and
// breaks it after limits.reader.max_header_size is reloaded down to 256.
func TestReloadReaderQuotaHTTP(t *testing.T) {
	s := servertest.Start(t)
	msg := envelope12(`<a:MessageID>urn:uuid:` + strings.Repeat("m", 1000) + `</a:MessageID>`)
	status, body := postSOAP(t, s.ProvisionURI("http"), msg)
	if status != http.StatusBadRequest || !strings.Contains(body, "ReplyTo") || strings.Contains(body, "QuotaExceeded") {
		t.Fatalf("before the reload: status %d: %.400s", status, body)
	}
	c := *s.Config
	c.Limits.Reader.MaxHeaderSize = 256
	if applied, _ := s.Reload(&c); len(applied) != 1 || applied[0] != "limits.reader.max_header_size" {
		t.Fatalf("applied = %v", applied)
	}
	status, body = postSOAP(t, s.ProvisionURI("http"), msg)
	if status != http.StatusBadRequest || !strings.Contains(body, "QuotaExceeded") || !strings.Contains(body, "(256)") {
		t.Fatalf("after the reload: status %d, want 400 QuotaExceeded naming 256: %.400s", status, body)
	}
}
