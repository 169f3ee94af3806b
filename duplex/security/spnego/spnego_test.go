package spnego

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

type recording struct {
	Frames []struct{ Dir, Frame, Hex string } `json:"frames_as_seen_by_client"`
}

func frames(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var r recording
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range r.Frames {
		if f.Frame == "Data" {
			break
		}
		h, err := hex.DecodeString(f.Hex)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

func TestRecordedNTLM(t *testing.T) {
	f := frames(t, "ntlm-spnego-nns.json")
	if !IsInit(f[0]) || IsInit(f[1]) {
		t.Fatal("IsInit")
	}
	in, err := ParseInit(f[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(in.MechTypes) != 1 || !in.MechTypes[0].Equal(OIDNTLM) || !bytes.HasPrefix(in.MechToken, []byte("NTLMSSP\x00\x01")) {
		t.Fatalf("init %+v", in)
	}
	if want, _ := hex.DecodeString("300c060a2b06010401823702020a"); !bytes.Equal(in.MechTypesDER, want) {
		t.Fatalf("MechTypesDER %x", in.MechTypesDER)
	}
	// Every server token re-encodes to the recorded bytes.
	for _, i := range []int{1, 3} {
		r, err := ParseResp(f[i])
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Marshal(); !bytes.Equal(got, f[i]) {
			t.Fatalf("frame %d: re-encoded %x, want %x", i, got, f[i])
		}
	}
	r, err := ParseResp(f[2])
	if err != nil {
		t.Fatal(err)
	}
	if r.State != AcceptIncomplete || !bytes.HasPrefix(r.ResponseToken, []byte("NTLMSSP\x00\x03")) || len(r.MechListMIC) != 16 {
		t.Fatalf("client resp %+v", r)
	}
	// MarshalInit produces what the client sent.
	if got, _ := MarshalInit(in.MechTypes, in.MechToken, in.MechListMIC); !bytes.Equal(got, f[0]) {
		t.Fatalf("MarshalInit %x", got)
	}
}

func TestRecordedKerberos(t *testing.T) {
	f := frames(t, "krb5-spnego-nns.json")
	in, err := ParseInit(f[0])
	if err != nil {
		t.Fatal(err)
	}
	if !in.MechTypes[0].Equal(OIDKRB5) || len(in.MechToken) == 0 {
		t.Fatalf("init %+v", in.MechTypes)
	}
	r, err := ParseResp(f[1])
	if err != nil || r.State != AcceptCompleted || !r.SupportedMech.Equal(OIDKRB5) {
		t.Fatalf("resp %+v %v", r, err)
	}
	if got := r.Marshal(); !bytes.Equal(got, f[1]) {
		t.Fatalf("re-encoded %x, want %x", got, f[1])
	}
}

func TestMalformed(t *testing.T) {
	f := frames(t, "ntlm-spnego-nns.json")
	for name, tok := range map[string][]byte{
		"empty":          nil,
		"truncated init": f[0][:len(f[0])-1],
		"trailing":       append(append([]byte(nil), f[0]...), 0),
		"resp as init":   f[1],
		"huge":           make([]byte, MaxTokenSize+1),
	} {
		if _, err := ParseInit(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseInit(%s) = %v", name, err)
		}
	}
	if _, err := ParseResp(f[0]); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseResp(init) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"ntlm-spnego-nns.json", "krb5-spnego-nns.json", "krb5-spnego-rrc28-nns.json"} {
		for _, tok := range frames(f, name) {
			f.Add(tok)
		}
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		if in, err := ParseInit(tok); err == nil {
			if len(in.MechTypes) == 0 {
				t.Fatal("init without mechTypes")
			}
		}
		if r, err := ParseResp(tok); err == nil {
			// What decodes re-encodes and decodes to the same.
			r2, err := ParseResp(r.Marshal())
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if r2.State != r.State || !bytes.Equal(r2.ResponseToken, r.ResponseToken) || !bytes.Equal(r2.MechListMIC, r.MechListMIC) {
				t.Fatalf("round trip %+v != %+v", r2, r)
			}
		}
	})
}
