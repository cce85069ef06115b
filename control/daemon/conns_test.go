package daemon

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/packet"
)

// Conns of the fake: the query it was asked, and a page of one
// connection whose cursor goes on.
func (f *fakeDataplane) Conns(q dataplane.ConnQuery) (dataplane.ConnPage, error) {
	f.event("conns")
	f.mu.Lock()
	f.lastConnQuery = q
	f.mu.Unlock()
	c := dataplane.Conn{Proto: "tcp", State: "ESTABLISHED", ExpiresIn: 90 * time.Second,
		Client: netip.MustParseAddrPort("10.0.0.2:40000"), Virtual: netip.MustParseAddrPort("10.0.0.100:80"),
		Server: netip.MustParseAddrPort("10.1.0.11:8080"), Method: "nat", Worker: 1}
	return dataplane.ConnPage{Conns: []dataplane.Conn{c}, Next: dataplane.ConnCursor{Worker: 1, Index: 77}}, nil
}

func TestConnsTranslatesFilterAndCursor(t *testing.T) {
	d, fake, _ := testDaemon(t, base)
	f := admin.ConnFilter{Proto: "udp", Virtual: netip.MustParseAddrPort("10.0.0.100:53"), State: "UDP", Cursor: "1:5", Limit: 9}
	page, err := d.Conns(f)
	if err != nil {
		t.Fatal(err)
	}
	q := fake.lastConnQuery
	if q.Proto != packet.ProtoUDP || q.Virtual != f.Virtual || q.State != "UDP" || q.Limit != 9 || q.Cursor != (dataplane.ConnCursor{Worker: 1, Index: 5}) {
		t.Errorf("dataplane asked %+v for filter %+v", q, f)
	}
	if page.Done || page.Next != "1:77" || len(page.Conns) != 1 || page.Conns[0].Server != "10.1.0.11:8080" || page.Conns[0].ExpiresIn != 90 {
		t.Errorf("page %+v", page)
	}
	for _, bad := range []string{"x", "1", "-1:2", "1:99999999999"} {
		if _, err := d.Conns(admin.ConnFilter{Cursor: bad}); err == nil || !strings.Contains(err.Error(), "cursor") {
			t.Errorf("cursor %q: err %v, want a cursor error", bad, err)
		}
	}
}
