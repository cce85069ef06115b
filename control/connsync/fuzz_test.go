package connsync

import (
	"net/netip"
	"testing"
)

// FuzzReceive: any datagram, with and without a key, is counted (as a
// message, and refused or entered) and never panics; what is entered
// decodes again to the same records.
func FuzzReceive(f *testing.F) {
	f.Add([]byte{0, 7, 0, 8, 0, 1, 0, 0})
	f.Add(Encoder{SyncID: 7, MaxMessage: 1500}.Append(nil, []Conn{testConn(1), testConn(2)}, 0))
	f.Add(sign(testKey, Encoder{SyncID: 7, MaxMessage: 1500, Trailer: TrailerLen}.Append(nil, []Conn{testConn(1)}, SpareAuth), 42))
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, key := range [][]byte{nil, testKey} {
			sink := &fakeSink{room: -1}
			r := NewReceiver(ReceiverConfig{SyncID: 7, Key: key}, sink)
			r.Handle(msg, netip.MustParseAddr("10.0.0.9"))
			st := r.Stats()
			if st.Messages != 1 {
				t.Fatalf("messages %d", st.Messages)
			}
			if uint64(len(sink.got)) != st.Inserted || st.Inserted > st.Records {
				t.Fatalf("inserted %d of %d records, sink has %d", st.Inserted, st.Records, len(sink.got))
			}
			if len(sink.got) > 0 {
				again := Encoder{SyncID: 7, MaxMessage: MaxMessage}.Append(nil, sink.got, 0)
				var back []Conn
				if err := DecodeRecords(again[HeaderLen:], len(sink.got), func(c *Conn) { back = append(back, *c) }, func(string) {}); err != nil || len(back) != len(sink.got) {
					t.Fatalf("re-encoding what was entered: %v, %d of %d", err, len(back), len(sink.got))
				}
			}
		}
	})
}
