package fastpath

import "testing"

// A persistence template takes one index slot (its client key) and
// leaves none behind when removed or expired.
func TestTemplateIndexedByClientKeyOnly(t *testing.T) {
	ct, err := NewConnTable(Heap{}, 64, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer ct.Free()
	used := func() (n int) {
		for _, s := range ct.Slots() {
			if s.Ref != 0 {
				n++
			}
		}
		return n
	}
	tmpl := Conn{ClientIP: 0xac100100, VIP: 0x0a000064, VPort: 80, RSIP: 0x0a01000b, RSPort: 8080, Proto: 6, Template: true, Expire: 10}
	other := tmpl // a second service's template on the same server and network
	other.VIP, other.Expire = 0x0a000065, 1000
	for _, c := range []Conn{tmpl, other} {
		if ok, dup := ct.Insert(c); !ok || dup {
			t.Fatalf("insert %+v: ok %v dup %v (templates sharing a server must not collide)", c, ok, dup)
		}
	}
	if n := used(); n != 2 {
		t.Fatalf("%d slots for two templates, want one each", n)
	}
	if c, ok := ct.Lookup(tmpl.InKey()); !ok || !c.Template || c.RSIP != tmpl.RSIP {
		t.Fatalf("lookup by the client key: %+v %v", c, ok)
	}
	if _, ok := ct.Lookup(tmpl.OutKey()); ok {
		t.Fatal("a template was found by a reply key")
	}
	if n := ct.Expire(100, 64); n != 1 || used() != 1 {
		t.Fatalf("expired %d, %d slots left; want the first template gone and its slot", n, used())
	}
	if !ct.Remove(other.InKey()) || used() != 0 || ct.Len() != 0 {
		t.Fatalf("after removing both: %d slots, %d entries", used(), ct.Len())
	}
}
