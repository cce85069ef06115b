package lb

import "testing"

func TestNamesRoundTrip(t *testing.T) {
	for _, m := range []Method{MethodNAT, MethodDR, MethodTUN} {
		if got, ok := ParseMethod(m.String()); !ok || got != m {
			t.Fatalf("ParseMethod(%q) = %v %v", m.String(), got, ok)
		}
	}
	for _, p := range []Protocol{ProtoTCP, ProtoUDP} {
		if got, ok := ParseProtocol(p.String()); !ok || got != p {
			t.Fatalf("ParseProtocol(%q) = %v %v", p.String(), got, ok)
		}
	}
	if _, ok := ParseMethod("masq"); ok {
		t.Fatal("unknown method accepted")
	}
	forward := map[Method]string{MethodNAT: "Masq", MethodDR: "Route", MethodTUN: "Tunnel", Method(9): "Unknown"}
	for m, want := range forward {
		if m.Forward() != want {
			t.Fatalf("%v.Forward() = %q, want %q", m, m.Forward(), want)
		}
	}
}
