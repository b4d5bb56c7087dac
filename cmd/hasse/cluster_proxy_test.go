package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"hasse/internal/gateway/gatewaytest"
	"hasse/internal/testredis"
	"hasse/internal/testwait"
)

// TestClusterBehindNginx runs the deployment sample of the README: two instances behind nginx
// configured by deploy/nginx/hasse.conf. A client's stream passes nginx unbuffered; when the
// instance holding it is killed, the client reconnects through nginx as EventSource does, lands
// on the other instance, resumes with no duplicate, and ends with the home's true state.
func TestClusterBehindNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			t.Fatal("nginx is not installed: run scripts/install-deps.sh (make test does), or apt-get install nginx-light")
		}
		nginx = "/usr/sbin/nginx"
	}
	bin := buildHasse(t)
	r, hm := testredis.Start(t), startTestHome(t)
	procs := []*serveProc{
		startServe(t, bin, "left", hm.url, r.URL(), "MCP_HTTP_TRUSTED_PROXIES=127.0.0.1"),
		startServe(t, bin, "right", hm.url, r.URL(), "MCP_HTTP_TRUSTED_PROXIES=127.0.0.1"),
	}
	for _, p := range procs {
		gatewaytest.Ready(t, p.url)
	}
	proxy := startNginx(t, nginx, procs)
	gatewaytest.Ready(t, proxy)

	hm.start()
	v := newViewer("client through nginx")
	v.connect(t, proxy, "")
	testwait.For(t, 20*time.Second, "events through nginx", func() bool { ids, _, _ := v.snapshot(); return len(ids) >= 20 })
	holder := -1
	for i, p := range procs {
		if clientsOf(t, p) == 1 {
			holder = i
		}
	}
	if holder < 0 {
		t.Fatal("neither instance holds the client's stream")
	}
	_, role, _ := procs[holder].health()
	gaps := map[string]int{"leader": 1, "follower": 0}[role] // the holder's death is a failover, or nothing
	t.Logf("killing %s, the %s", procs[holder].name, role)
	procs[holder].kill()
	v.wait(t) // nginx ends the stream of the dead instance
	before, _, _ := v.snapshot()
	v.connect(t, proxy, before[len(before)-1]) // what EventSource does after its retry delay
	other := procs[1-holder]
	testwait.For(t, 20*time.Second, "the client moves to "+other.name, func() bool { return clientsOf(t, other) == 1 })
	hm.sim.SetState("input_text.sentinel", "moved", nil)
	testwait.For(t, 20*time.Second, "events after the move", func() bool { return v.has("input_text.sentinel", "moved") })
	hm.quiet()
	ids, _, _ := v.snapshot()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("event %s came twice across the move", id)
		}
		seen[id] = true
	}
	if !slices.Equal(v.resumed, []bool{false, true}) {
		t.Errorf("connection events said resumed %v, want [false true]", v.resumed)
	}
	checkViews(t, hm, []*viewer{v}, func() int { return gaps })
}

// clientsOf reads how many streams an instance holds.
func clientsOf(t *testing.T, p *serveProc) int {
	t.Helper()
	resp, err := http.Get(p.url + "/health")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var h struct {
		Clients int `json:"sseConnectedClients"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&h)
	return h.Clients
}

// startNginx runs nginx in the foreground with deploy/nginx/hasse.conf, its upstream servers
// and listen address pointed at the test's, and returns its base URL.
func startNginx(t *testing.T, bin string, procs []*serveProc) string {
	t.Helper()
	sample, err := os.ReadFile("../../deploy/nginx/hasse.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	servers := regexp.MustCompile(`(?m)^(\s*server )\S+:3000( .*)$`).FindAllStringIndex(string(sample), -1)
	if len(servers) != len(procs) {
		t.Fatalf("deploy/nginx/hasse.conf has %d upstream servers, want %d", len(servers), len(procs))
	}
	conf := string(sample)
	for i := len(servers) - 1; i >= 0; i-- { // from the end, so that earlier offsets hold
		line := conf[servers[i][0]:servers[i][1]]
		host := strings.TrimPrefix(procs[i].url, "http://")
		conf = conf[:servers[i][0]] + regexp.MustCompile(`\S+:3000`).ReplaceAllString(line, host) + conf[servers[i][1]:]
	}
	conf = strings.Replace(conf, "listen 80;", "listen "+addr+";", 1)
	dir := t.TempDir()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // the workers must reach the test's private folder
	}
	main := user + `daemon off;
master_process on;
worker_processes 1;
pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ` + dir + `/body;
    proxy_temp_path ` + dir + `/proxy;
    fastcgi_temp_path ` + dir + `/fastcgi;
    uwsgi_temp_path ` + dir + `/uwsgi;
    scgi_temp_path ` + dir + `/scgi;
    include ` + dir + `/hasse.conf;
}
`
	for name, text := range map[string]string{"nginx.conf": main, "hasse.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	out := &procLog{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // nginx's fast shutdown
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx:\n%s%s", out.String(), log)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return "http://" + addr
		}
		select {
		case <-exited:
			t.Fatalf("nginx exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a real server that is starting
	}
}
