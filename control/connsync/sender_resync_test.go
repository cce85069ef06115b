package connsync

import (
	"net/netip"
	"testing"
)

// TestResyncRequestReachesMaster: a backup's request, signed, makes the
// receiving side's callback run once; replayed, it is refused.
func TestResyncRequestReachesMaster(t *testing.T) {
	tr := &fakeTransport{}
	s := NewSender(SenderConfig{SyncID: 7, MaxMessage: 1472, Rate: 100, Key: testKey}, tr)
	if err := s.RequestResync(); err != nil {
		t.Fatal(err)
	}
	if len(tr.sent) != 1 || len(tr.sent[0]) != HeaderLen+TrailerLen || s.Stats().ResyncRequests != 1 {
		t.Fatalf("sent %d messages (%v), requests %d", len(tr.sent), tr.sent, s.Stats().ResyncRequests)
	}
	var asked []netip.Addr
	r := NewReceiver(ReceiverConfig{SyncID: 7, Key: testKey, OnResyncRequest: func(a netip.Addr) { asked = append(asked, a) }}, &fakeSink{room: -1})
	r.Handle(tr.sent[0], src)
	r.Handle(tr.sent[0], src)
	if len(asked) != 1 || r.Stats().Rejected["replay"] != 1 {
		t.Fatalf("requests seen %v, rejected %v; want one, then a replay", asked, r.Stats().Rejected)
	}
}
