package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// envCrashChild makes the test binary a child that starts provisioning the
// store named by the variable's JSON, says "locked" on stdout once it holds
// the provisioning mark, and then hangs until it is killed.
const envCrashChild = "IPAMD_STORE_TEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(envCrashChild); spec != "" {
		os.Exit(crashChild(spec))
	}
	os.Exit(m.Run())
}

func crashChild(spec string) int {
	var cfg Config
	if err := json.Unmarshal([]byte(spec), &cfg); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, cfg, Options{})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 3
	}
	s.hook = func(step string) error {
		if step == "seed "+schema.CustomFieldsTable {
			os.Stdout.WriteString("locked\n")
			select {} // killed here, mid-transaction
		}
		return nil
	}
	_, err = s.Provision(ctx, ProvisionParams{CreateNewSchema: true})
	os.Stderr.WriteString("provisioning returned: " + errString(err))
	return 4
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// A provisioning whose process is killed mid-transaction: while it lives,
// its mark refuses others; once killed, the engine releases the mark and
// rolls the half-created schema back, and provisioning succeeds.
func TestProvisioningMarkDiesWithItsProcess(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		cfg := newConfig(t, e)
		spec, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+string(spec))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		locked := make(chan bool, 1)
		go func() {
			line, _ := bufio.NewReader(out).ReadString('\n')
			locked <- line == "locked\n"
		}()
		select {
		case ok := <-locked:
			if !ok {
				t.Fatalf("child did not take the mark: %s", stderr.String())
			}
		case <-time.After(time.Minute):
			t.Fatalf("child did not take the mark in time: %s", stderr.String())
		}

		s := openStore(t, cfg, Options{})
		if _, err := s.Provision(testCtx(t), ProvisionParams{CreateNewSchema: true}); !errors.Is(err, ErrProvisioningInProgress) {
			t.Fatalf("while the child holds the mark: %v, want ErrProvisioningInProgress", err)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		// The engine notices the death promptly (closed socket, released file
		// lock); allow it a moment.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := s.Provision(testCtx(t), ProvisionParams{CreateNewSchema: true})
			if err == nil {
				break
			}
			if !errors.Is(err, ErrProvisioningInProgress) || time.Now().After(deadline) {
				t.Fatalf("after the child died: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		st, err := s.Status(testCtx(t))
		if err != nil || !st.Provisioned {
			t.Errorf("status %+v, %v", st, err)
		}
	})
}
