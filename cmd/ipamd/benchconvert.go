package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/internal/loadgen"
)

// maxConvertAddresses bounds a size of `bench convert` (10M is issue 16's
// largest point; a 100M store would take hours and ~40 GiB).
const maxConvertAddresses = 100_000_000

// newBenchConvertCmd: `ipamd bench convert` measures the schema
// conversion's curve: for each store size a v1 store is
// generated once into --cache-dir (kept for the next run), copied, and the
// copy converted by a child process (`ipamd dev convert-store`), so the
// wall time, CPU time and peak RSS are the conversion's alone. Its JSON is
// what internal/loadgen/benchsvg draws.
func newBenchConvertCmd(stdout io.Writer) *cobra.Command {
	var (
		addresses, cacheDir, output string
		seed                        uint64
	)
	cmd := &cobra.Command{
		Use:   "convert --cache-dir DIR [--addresses 100000,1000000,10000000]",
		Short: "Curve: schema conversion time, CPU and peak memory at several store sizes (embedded store)",
		Long: `For each size, generate a v1 store of that many addresses into --cache-dir (once: a
store found there is reused; 10M addresses take about 4 GiB and tens of minutes), copy it,
and convert the copy with 'ipamd dev convert-store' as a child process; report its wall time,
user and system CPU, peak resident memory (ru_maxrss), addresses/s and each step's time.`,
		Args: cobra.NoArgs,
	}
	fs := cmd.Flags()
	fs.StringVar(&addresses, "addresses", "100000,1000000,10000000", "store `SIZES` in addresses, ascending")
	fs.StringVar(&cacheDir, "cache-dir", "", "`DIR` keeping the generated v1 stores between runs (and the converted copy meanwhile)")
	fs.Uint64Var(&seed, "seed", 1, "generator `SEED`")
	fs.StringVar(&output, "output", outputJSON, "result `FORMAT`: json or text")
	_ = cmd.MarkFlagRequired("cache-dir")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		sizes, err := countList("--addresses", addresses, maxConvertAddresses)
		if err != nil {
			return err
		}
		if output != outputText && output != outputJSON {
			return fmt.Errorf("--output %q: must be text or json", output)
		}
		exe, err := os.Executable()
		if err != nil {
			return runtimeError(err)
		}
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return runtimeError(err)
		}
		ctx, stop := (&clientFlags{}).context(cmd.Context())
		defer stop()
		rep := &loadgen.ConvertReport{Machine: loadgen.ThisMachine(), Engine: "sqlite", Seed: seed}
		for _, n := range sizes {
			p, err := convertPoint(ctx, exe, cacheDir, n, seed, cmd.ErrOrStderr())
			if err != nil {
				return runtimeError(err)
			}
			rep.Conversion = append(rep.Conversion, *p)
		}
		if output == outputJSON {
			e := json.NewEncoder(stdout)
			e.SetIndent("", "  ")
			return e.Encode(rep)
		}
		fmt.Fprintf(stdout, "machine: %s, %d cores, %s; %s\n", rep.Machine.CPU, rep.Machine.Cores, rep.Machine.Go, rep.Engine)
		for _, p := range rep.Conversion {
			fmt.Fprintf(stdout, "%9d addresses: %v wall, %v CPU, peak RSS %.1f MiB (anonymous %.1f MiB), %.0f addresses/s (%.0f per CPU second); load %.1f → %.1f\n",
				p.Addresses, time.Duration(p.Wall).Round(time.Millisecond), time.Duration(p.User+p.System).Round(time.Millisecond),
				float64(p.PeakRSS)/(1<<20), float64(p.PeakRSSAnon)/(1<<20), p.AddressesPerSecond, p.AddressesPerCPUSecond, p.LoadBefore, p.LoadAfter)
		}
		return nil
	}
	return cmd
}

// convertPoint measures one size: the cached v1 store (generated when
// missing) is copied to a scratch file that a child process converts.
func convertPoint(ctx context.Context, exe, dir string, n int, seed uint64, logw io.Writer) (*loadgen.ConvertPoint, error) {
	p := &loadgen.ConvertPoint{Addresses: int64(n)}
	store := filepath.Join(dir, fmt.Sprintf("v1-sqlite-%d-seed%d.db", n, seed))
	if _, err := os.Stat(store); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(logw, "bench convert: generating a v1 store of %d addresses into %s\n", n, store)
		began := time.Now()
		if err := generateLegacyStore(ctx, exe, store, n, seed, logw); err != nil {
			return nil, err
		}
		p.Generated = int64(time.Since(began))
	} else if err != nil {
		return nil, err
	}
	work := filepath.Join(dir, "convert-work.db")
	removeSQLite(work)
	defer removeSQLite(work)
	size, err := copyStoreFile(store, work)
	if err != nil {
		return nil, err
	}
	p.StoreBytes = size
	fmt.Fprintf(logw, "bench convert: converting %d addresses\n", n)
	c := exec.CommandContext(ctx, exe, "dev", "convert-store", "--engine", "sqlite", "--path", work, "--progress")
	c.Stderr = logw
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.LoadBefore = loadgen.LoadAverage()
	began := time.Now()
	if err := c.Start(); err != nil {
		return nil, err
	}
	steps := &stepClock{pid: c.Process.Pid}
	sampled := make(chan struct{})
	go func() { defer close(sampled); steps.sampleRSS(c.Process.Pid) }()
	steps.read(out)
	err = c.Wait()
	end := time.Now()
	steps.stop()
	<-sampled
	p.LoadAfter = loadgen.LoadAverage()
	if err != nil {
		return nil, fmt.Errorf("convert %d addresses: %w", n, err)
	}
	p.Wall = int64(end.Sub(began))
	p.User, p.System = int64(c.ProcessState.UserTime()), int64(c.ProcessState.SystemTime())
	p.PeakRSS = loadgen.PeakRSS(c.ProcessState)
	p.PeakRSSAnon = steps.peakAnon
	p.AddressesPerSecond = float64(n) / end.Sub(began).Seconds()
	if cpu := time.Duration(p.User + p.System); cpu > 0 {
		p.AddressesPerCPUSecond = float64(n) / cpu.Seconds()
	}
	for i, s := range steps.names {
		next := end
		if i+1 < len(steps.at) {
			next = steps.at[i+1]
		}
		nextCPU := time.Duration(p.User + p.System)
		if i+1 < len(steps.cpu) {
			nextCPU = steps.cpu[i+1]
		}
		p.Steps = append(p.Steps, loadgen.ConvertStep{Step: s, Seconds: next.Sub(steps.at[i]).Seconds(),
			CPUSeconds: max(0, nextCPU-steps.cpu[i]).Seconds(), RSS: steps.rss[i], RSSAnon: steps.anon[i]})
	}
	return p, nil
}

// stepClock notes when each conversion step began and the most resident
// memory the child was seen with during it.
type stepClock struct {
	mu    sync.Mutex
	names []string
	at    []time.Time
	rss   []int64
	anon  []int64
	// cpu: the child's CPU time when the step began (Linux, 10 ms).
	cpu []time.Duration
	pid int
	// peakAnon: the most RssAnon seen, steps or not.
	peakAnon int64
	done     bool
}

// read reads `dev convert-store --progress` lines ("progress STEP DONE
// TOTAL", STEP may hold blanks) until EOF.
func (s *stepClock) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "progress ")
		if !ok {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if _, err := strconv.ParseInt(f[len(f)-1], 10, 64); err != nil {
			continue
		}
		step := strings.Join(f[:len(f)-2], " ")
		s.mu.Lock()
		if k := len(s.names); k == 0 || s.names[k-1] != step {
			s.names = append(s.names, step)
			s.at = append(s.at, time.Now())
			s.rss = append(s.rss, 0)
			s.anon = append(s.anon, 0)
			cpu, _ := loadgen.ProcessCPU(s.pid)
			s.cpu = append(s.cpu, cpu)
		}
		s.mu.Unlock()
	}
}

// sampleRSS reads the child's VmRSS and RssAnon every 50 ms (Linux) into the running
// step's figure until stop.
func (s *stepClock) sampleRSS(pid int) {
	for {
		rss, err := loadgen.ProcessRSS(pid)
		anon, aerr := loadgen.ProcessRSSAnon(pid)
		s.mu.Lock()
		if s.done || err != nil || aerr != nil {
			s.mu.Unlock()
			return
		}
		if k := len(s.rss); k > 0 {
			s.rss[k-1] = max(s.rss[k-1], rss)
			s.anon[k-1] = max(s.anon[k-1], anon)
		}
		s.peakAnon = max(s.peakAnon, anon)
		s.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *stepClock) stop() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// generateLegacyStore runs `ipamd dev make-legacy-store` into path+".tmp"
// and renames it when complete, so an interrupted generation is not reused.
func generateLegacyStore(ctx context.Context, exe, path string, n int, seed uint64, logw io.Writer) error {
	tmp := path + ".tmp"
	removeSQLite(tmp)
	c := exec.CommandContext(ctx, exe, "dev", "make-legacy-store", "--engine", "sqlite", "--path", tmp,
		"--addresses", strconv.Itoa(n), "--seed", strconv.FormatUint(seed, 10))
	c.Stdout, c.Stderr = logw, logw
	if err := c.Run(); err != nil {
		removeSQLite(tmp)
		return fmt.Errorf("generate %d addresses: %w", n, err)
	}
	// The generator closed the database: SQLite has checkpointed and
	// removed the WAL, so the file alone is the store.
	if _, err := os.Stat(tmp + "-wal"); err == nil {
		return fmt.Errorf("generate %d addresses: %s-wal left behind", n, tmp)
	}
	return os.Rename(tmp, path)
}

func removeSQLite(path string) {
	for _, s := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + s)
	}
}

func copyStoreFile(from, to string) (int64, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
