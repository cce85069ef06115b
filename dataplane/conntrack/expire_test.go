package conntrack

import "testing"

func TestExpireIncremental(t *testing.T) {
	const n = 1000
	tb := NewInGoMemory(n)
	for i := uint32(0); i < n; i++ {
		c := testConn(i)
		c.Expire = 1000 // half expire at 1000, half live long
		if i%2 == 1 {
			c.Expire = 1_000_000
		}
		tb.Insert(c)
	}
	if got := tb.Expire(999, n, nil); got != 0 {
		t.Fatalf("expired %d before the deadline", got)
	}
	var seen int
	total := 0
	for call := 0; call < n/100; call++ {
		got := tb.Expire(1000, 100, func(c *Conn) {
			if c.used == 0 || c.Expire != 1000 {
				t.Fatalf("onExpire got a conn not due: %+v", *c)
			}
			seen++
		})
		if got > 100 {
			t.Fatalf("call %d expired %d with budget 100", call, got)
		}
		total += got
	}
	if total != n/2 || seen != n/2 || tb.Len() != n/2 {
		t.Fatalf("after one sweep: expired %d, callbacks %d, Len %d; want %d each", total, seen, tb.Len(), n/2)
	}
	checkIndex(t, tb)
	// A budget above the table size still examines each conn at most once.
	if got := tb.Expire(1_000_000, 10*n, nil); got != n/2 || tb.Len() != 0 {
		t.Fatalf("big budget expired %d, Len %d", got, tb.Len())
	}
	if got := tb.Expire(1_000_000, 10, nil); got != 0 {
		t.Fatal("expired from an empty table")
	}
}

func TestExpireClockWrap(t *testing.T) {
	tb := NewInGoMemory(8)
	now := uint32(0xffff_ff00)
	c := testConn(1)
	c.Expire = now + 1000 // wraps past zero to 0x2e8
	tb.Insert(c)
	if c.Expire > now {
		t.Fatal("test setup: deadline should have wrapped")
	}
	for _, tc := range []struct {
		now  uint32
		want int
	}{
		{now, 0},
		{now + 999, 0},  // still before the deadline
		{now + 1000, 1}, // after the wrap
	} {
		if got := tb.Expire(tc.now, 8, nil); got != tc.want {
			t.Fatalf("Expire(%#x) = %d, want %d", tc.now, got, tc.want)
		}
	}
}

func TestExpireCallbackMayDelete(t *testing.T) {
	tb := NewInGoMemory(8)
	tb.Insert(testConn(1))
	tb.Insert(testConn(2))
	got := tb.Expire(0, 8, func(c *Conn) { tb.Delete(c) })
	if got != 2 || tb.Len() != 0 {
		t.Fatalf("expired %d, Len %d", got, tb.Len())
	}
	checkIndex(t, tb)
}
