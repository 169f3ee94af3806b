package soapui_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/test/soapui"
)

// golden.groovy is what the SoapUI project judges messages with; Compare is
// what the Go tests judge them with. This test runs golden.groovy with the
// groovy command (Debian: apt-get install groovy; SoapUI 5 bundles the same
// Groovy 2.4 line) over the compareCases table and a few callback sequences,
// and fails when the two disagree. It skips when groovy is not installed:
// CI does not need a JVM for the rest of the suite.
func TestGroovyHelperAgreesWithCompare(t *testing.T) {
	groovy, err := exec.LookPath("groovy")
	if err != nil {
		t.Skip("groovy not on PATH (apt-get install groovy) – golden.groovy is not cross-checked")
	}
	dir := t.TempDir()
	helper, err := soapui.ReadFile(soapui.GroovyHelper)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(soapui.GroovyHelper, helper)
	for i, c := range compareCases {
		write(caseFile(i, "exp"), []byte(c.expected))
		write(caseFile(i, "act"), []byte(c.actual))
	}

	// A session's callbacks, from the expected files with concrete values.
	props := map[string]string{soapui.PropCallbackURL: "http://127.0.0.1:9/cb"}
	f := soapui.Flows[0]
	concrete := func(name, session string) []byte {
		tmpl, err := soapui.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := soapui.Expand(tmpl, props)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.ReplaceAll(m, []byte(">*<"), []byte(">"+session+"<"))
	}
	for _, n := range []struct{ file, name string }{{f.Started, "start"}, {f.Checkpoint, "checkpoint"}, {f.Completed, "complete"}} {
		tmpl, _ := soapui.ReadFile(n.file)
		exp, err := soapui.Expand(tmpl, props)
		if err != nil {
			t.Fatal(err)
		}
		write("exp-"+n.name+".xml", exp)
		write("s1-"+n.name+".xml", concrete(n.file, "urn:uuid:s1"))
		write("s2-"+n.name+".xml", concrete(n.file, "urn:uuid:s2"))
	}
	// checkRelatesTo: an Initialize request and a reply relating to it or not.
	req, _ := soapui.ReadFile(f.Initialize)
	reqMsg, err := soapui.Expand(req, map[string]string{soapui.PropCallbackURL: "http://127.0.0.1:9/cb", f.EndpointProperty: "http://127.0.0.1:8/ep"})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := soapui.ParseEnvelope(reqMsg)
	id, _ := soapui.HeaderText(env, soapui.NSAddressing, "MessageID")
	resp, _ := soapui.ReadFile(f.InitializeResponse)
	write("request.xml", reqMsg)
	write("reply-ok.xml", bytes.Replace(resp, []byte(">*<"), []byte(">"+id+"<"), 1))
	write("reply-other.xml", bytes.Replace(resp, []byte(">*<"), []byte(">urn:uuid:other<"), 1))

	script := `
def dir = new File(args[0])
def golden = evaluate(new File(dir, 'golden.groovy'))
def read = { String n -> new File(dir, n).getText('UTF-8') }
for (int i = 0; i < (args[1] as int); i++) {
    println('case ' + i + ' ' + (golden.compare(read("case-${i}-exp.xml"), read("case-${i}-act.xml")).isEmpty() ? 'match' : 'differ'))
}
def exp = ['start', 'checkpoint', 'complete'].collect { read("exp-${it}.xml") }
def seq = { List<String> names -> names.collect { read(it + '.xml') } }
def verdict = { List<String> p -> p.isEmpty() ? 'ok' : 'bad' }
println('seq full ' + verdict(golden.checkCallbacks(seq(['s1-start', 's1-checkpoint', 's1-checkpoint', 's1-complete']), *exp)))
println('seq no-checkpoint ' + verdict(golden.checkCallbacks(seq(['s1-start', 's1-complete']), *exp)))
println('seq out-of-order ' + verdict(golden.checkCallbacks(seq(['s1-checkpoint', 's1-start', 's1-complete']), *exp)))
println('seq two-sessions ' + verdict(golden.checkCallbacks(seq(['s1-start', 's2-checkpoint', 's1-complete']), *exp)))
println('seq await ' + golden.awaitComplete(java.util.Collections.synchronizedList(seq(['s1-start', 's1-complete'])), 1000L).size())
println('relates ok ' + verdict(golden.checkRelatesTo(read('request.xml'), read('reply-ok.xml'))))
println('relates other ' + verdict(golden.checkRelatesTo(read('request.xml'), read('reply-other.xml'))))
`
	write("check.groovy", []byte(script))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, groovy, filepath.Join(dir, "check.groovy"), dir, strconv.Itoa(len(compareCases)))
	cmd.Env = groovyEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("groovy: %v\n%s\n%s", err, out, stderr.String())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 {
			got[fields[0]+" "+fields[1]] = fields[2]
		}
	}
	for i, c := range compareCases {
		want := "differ"
		if c.match {
			want = "match"
		}
		if g := got["case "+strconv.Itoa(i)]; g != want {
			t.Errorf("case %q: golden.groovy says %q, Compare's rules say %q", c.name, g, want)
		}
	}
	for key, want := range map[string]string{
		"seq full": "ok", "seq no-checkpoint": "bad", "seq out-of-order": "bad", "seq two-sessions": "bad",
		"seq await": "2", "relates ok": "ok", "relates other": "bad",
	} {
		if got[key] != want {
			t.Errorf("golden.groovy %s: %q, want %q", key, got[key], want)
		}
	}
	if t.Failed() {
		t.Logf("groovy output:\n%s\n%s", out, stderr.String())
	}
}

func caseFile(i int, side string) string { return "case-" + strconv.Itoa(i) + "-" + side + ".xml" }

// groovyEnv sets JAVA_HOME from the java on PATH when it is unset: Debian's
// groovy launcher otherwise looks for /usr/lib/jvm/default-java, which only
// the default-jre package provides.
func groovyEnv() []string {
	env := os.Environ()
	if os.Getenv("JAVA_HOME") != "" {
		return env
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return env
	}
	if real, err := filepath.EvalSymlinks(java); err == nil {
		return append(env, "JAVA_HOME="+filepath.Dir(filepath.Dir(real)))
	}
	return env
}

// TestProjectScriptsCompile compiles every Groovy script of the SoapUI
// project (setup/tear-down scripts, the check steps, the reply assertions,
// the MockService scripts) with the groovy command, without running them:
// a syntax error would otherwise only show in SoapUI. Skips without groovy.
func TestProjectScriptsCompile(t *testing.T) {
	groovy, err := exec.LookPath("groovy")
	if err != nil {
		t.Skip("groovy not on PATH (apt-get install groovy) – the project's scripts are not compiled")
	}
	p := loadProject(t)
	scripts := map[string]string{}
	var walk func(path string, e *etree.Element)
	walk = func(path string, e *etree.Element) {
		if name := e.SelectAttrValue("name", ""); name != "" {
			path += "/" + name
		}
		switch e.Tag {
		case "setupScript", "tearDownScript", "startScript", "stopScript", "onRequestScript", "afterRequestScript", "script", "scriptText":
			if strings.TrimSpace(e.Text()) != "" {
				scripts[path+"/"+e.Tag] = e.Text()
			}
		}
		for _, c := range e.ChildElements() {
			walk(path, c)
		}
	}
	walk("", p.root)
	if len(scripts) < 8 {
		t.Fatalf("found %d scripts in the project, want at least 8: %v", len(scripts), scripts)
	}
	dir := t.TempDir()
	var names []string
	for name, text := range scripts {
		file := filepath.Join(dir, "s"+strconv.Itoa(len(names))+".groovy")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	driver := `
def shell = new GroovyShell()
args[1..-1].each { f ->
    try {
        shell.parse(new File(args[0], f))
        println('ok ' + f)
    } catch (Exception e) {
        println('error ' + f + ' ' + e.message.replace('\n', ' '))
    }
}
`
	if err := os.WriteFile(filepath.Join(dir, "driver.groovy"), []byte(driver), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(dir, "driver.groovy"), dir}
	for i := range names {
		args = append(args, "s"+strconv.Itoa(i)+".groovy")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, groovy, args...)
	cmd.Env = groovyEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("groovy: %v\n%s", err, out)
	}
	for i, name := range names {
		file := "s" + strconv.Itoa(i) + ".groovy"
		if !bytes.Contains(out, []byte("ok "+file+"\n")) {
			t.Errorf("%s does not compile:\n%s", name, linesAbout(out, file))
		}
	}
}

func linesAbout(out []byte, file string) string {
	var b strings.Builder
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, file) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
