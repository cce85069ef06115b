package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// serving starts d.serve with its admin socket and metrics listener in a
// temporary place and returns once it answers.
func serving(t *testing.T, shutdownTimeout time.Duration) (dp *fakeDataplane, socket, metricsURL string, cancel func(), served <-chan error) {
	t.Helper()
	socket = filepath.Join(t.TempDir(), "govsd.sock")
	listen := freeTCPAddr(t)
	d, dp, _ := testDaemon(t, base+fmt.Sprintf("admin: {socket: %s}\nmetrics: {listen: %q}\n", socket, listen))
	d.shutdownTimeout = shutdownTimeout
	dp.inLcores, dp.release = make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done, finished := make(chan error, 1), make(chan struct{})
	go func() { done <- d.serve(ctx); close(finished) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Error("serve did not return")
		}
	})
	metricsURL = "http://" + listen + "/metrics"
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := admin.Dial(socket).Status()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("admin socket never answered: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return dp, socket, metricsURL, cancel, done
}

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// While a handler of each server is inside the dataplane, a stop lets both
// answer, and only then stops the dataplane.
func TestShutdownWaitsForHandlersThenStopsDataplane(t *testing.T) {
	dp, socket, metricsURL, cancel, served := serving(t, shutdownTimeout)
	replies := make(chan error, 2)
	go func() { _, err := admin.Dial(socket).Stats(); replies <- err }()
	go func() {
		resp, err := http.Get(metricsURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("metrics: %s", resp.Status)
			}
		}
		replies <- err
	}()
	<-dp.inLcores
	<-dp.inLcores

	cancel()
	time.Sleep(100 * time.Millisecond) // what a wrong order would stop in
	close(dp.release)
	for range 2 {
		if err := <-replies; err != nil {
			t.Errorf("a request running at shutdown got no reply: %v", err)
		}
	}
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	events, afterStop := dp.record()
	if len(afterStop) > 0 || !slices.Contains(events, "stop") {
		t.Errorf("dataplane calls %v; after Stop: %v", events, afterStop)
	}
	if i := slices.Index(events, "stop"); slices.Contains(events[i:], "lcores") {
		t.Errorf("Stop before the running handlers finished: %v", events)
	}
}

// A handler that outlives the shutdown timeout loses its connection, but
// the dataplane still is not stopped under it.
func TestStopWaitsForReaderPastTimeout(t *testing.T) {
	dp, socket, _, cancel, served := serving(t, 50*time.Millisecond)
	go admin.Dial(socket).Stats() //nolint:errcheck // its connection is dropped
	<-dp.inLcores

	cancel()
	time.Sleep(300 * time.Millisecond)
	if events, _ := dp.record(); slices.Contains(events, "stop") {
		t.Fatalf("dataplane stopped under a running reader: %v", events)
	}
	close(dp.release)
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	events, afterStop := dp.record()
	if !slices.Equal(events[len(events)-3:], []string{"lcores", "slowpath", "stop"}) || len(afterStop) > 0 {
		t.Errorf("dataplane calls %v; after Stop: %v", events, afterStop)
	}
}
