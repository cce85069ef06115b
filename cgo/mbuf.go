package dpdk

/*
#cgo noescape rte_pktmbuf_free_bulk
#cgo nocallback rte_pktmbuf_free_bulk
#include "govs_dpdk.h"
*/
import "C"

import "unsafe"

// Mbuf is a DPDK packet buffer (struct rte_mbuf). It lives in hugepage
// memory and is only ever used by pointer. Its fields are read and written
// from Go at offsets C computed at build time, so accessing a packet costs
// no cgo call and no allocation.
//
// The accessors handle single-segment mbufs, which is what govs's pools
// (data room >= the MTU) and the PMDs it uses produce.
type Mbuf C.struct_rte_mbuf

const (
	offBufAddr    = C.GOVS_MBUF_OFF_BUF_ADDR
	offDataOff    = C.GOVS_MBUF_OFF_DATA_OFF
	offRefcnt     = C.GOVS_MBUF_OFF_REFCNT
	offNbSegs     = C.GOVS_MBUF_OFF_NB_SEGS
	offPort       = C.GOVS_MBUF_OFF_PORT
	offOlFlags    = C.GOVS_MBUF_OFF_OL_FLAGS
	offPacketType = C.GOVS_MBUF_OFF_PACKET_TYPE
	offPktLen     = C.GOVS_MBUF_OFF_PKT_LEN
	offDataLen    = C.GOVS_MBUF_OFF_DATA_LEN
	offHashRSS    = C.GOVS_MBUF_OFF_HASH_RSS
	offBufLen     = C.GOVS_MBUF_OFF_BUF_LEN

	// PktmbufHeadroom is the headroom reserved in front of the data of a
	// freshly allocated or received mbuf (RTE_PKTMBUF_HEADROOM).
	PktmbufHeadroom = C.GOVS_PKTMBUF_HEADROOM
)

func (m *Mbuf) field(off uintptr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(m), off) }

func (m *Mbuf) bufAddr() unsafe.Pointer { return *(*unsafe.Pointer)(m.field(offBufAddr)) }

// Data is the packet data of the (first) segment: data_len bytes at
// buf_addr+data_off. The slice aliases the mbuf; it is valid until the mbuf
// is freed or transmitted.
func (m *Mbuf) Data() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(m.bufAddr(), m.DataOff())), m.DataLen())
}

// Buf is the whole data buffer, buf_addr[0:buf_len], headroom included.
func (m *Mbuf) Buf() []byte {
	return unsafe.Slice((*byte)(m.bufAddr()), *(*uint16)(m.field(offBufLen)))
}

// DataOff is the offset of the packet data in Buf.
func (m *Mbuf) DataOff() uint16 { return *(*uint16)(m.field(offDataOff)) }

// SetDataOff moves the start of the packet data; the caller keeps it (plus
// the data length) within Buf.
func (m *Mbuf) SetDataOff(off uint16) { *(*uint16)(m.field(offDataOff)) = off }

// DataLen is the length of the data in this segment.
func (m *Mbuf) DataLen() uint16 { return *(*uint16)(m.field(offDataLen)) }

// PktLen is the length of the whole packet, all segments.
func (m *Mbuf) PktLen() uint32 { return *(*uint32)(m.field(offPktLen)) }

// SetLen sets data_len and pkt_len to n (single-segment packets).
func (m *Mbuf) SetLen(n uint16) {
	*(*uint16)(m.field(offDataLen)) = n
	*(*uint32)(m.field(offPktLen)) = uint32(n)
}

// NbSegs is the number of segments of the packet.
func (m *Mbuf) NbSegs() uint16 { return *(*uint16)(m.field(offNbSegs)) }

// Port is the input port of a received mbuf.
func (m *Mbuf) Port() uint16 { return *(*uint16)(m.field(offPort)) }

// Refcnt is the mbuf's reference count.
func (m *Mbuf) Refcnt() uint16 { return *(*uint16)(m.field(offRefcnt)) }

// OlFlags are the offload flags (RTE_MBUF_F_*).
func (m *Mbuf) OlFlags() uint64 { return *(*uint64)(m.field(offOlFlags)) }

// SetOlFlags replaces the offload flags.
func (m *Mbuf) SetOlFlags(f uint64) { *(*uint64)(m.field(offOlFlags)) = f }

// PacketType is the PMD's packet type classification (RTE_PTYPE_*).
func (m *Mbuf) PacketType() uint32 { return *(*uint32)(m.field(offPacketType)) }

// RSSHash is the NIC's RSS hash; valid when OlFlags has RTE_MBUF_F_RX_RSS_HASH.
func (m *Mbuf) RSSHash() uint32 { return *(*uint32)(m.field(offHashRSS)) }

// Headroom is the free space in front of the data.
func (m *Mbuf) Headroom() uint16 { return m.DataOff() }

// Tailroom is the free space after the data.
func (m *Mbuf) Tailroom() uint16 {
	return *(*uint16)(m.field(offBufLen)) - m.DataOff() - m.DataLen()
}

// Prepend grows the data by n bytes at the front (e.g. for an outer IP
// header) and returns the new data; ok is false, and nothing changes, if
// the headroom is too small.
func (m *Mbuf) Prepend(n uint16) (data []byte, ok bool) {
	off := m.DataOff()
	if n > off || uint32(m.DataLen())+uint32(n) > 0xffff {
		return nil, false
	}
	m.SetDataOff(off - n)
	*(*uint16)(m.field(offDataLen)) += n
	*(*uint32)(m.field(offPktLen)) += uint32(n)
	return m.Data(), true
}

// Adj removes n bytes from the front of the data (e.g. to strip an outer
// header); ok is false, and nothing changes, if the data is shorter.
func (m *Mbuf) Adj(n uint16) (data []byte, ok bool) {
	if n > m.DataLen() {
		return nil, false
	}
	m.SetDataOff(m.DataOff() + n)
	*(*uint16)(m.field(offDataLen)) -= n
	*(*uint32)(m.field(offPktLen)) -= uint32(n)
	return m.Data(), true
}

// FreeBulk returns mbufs (all their segments) to their pools in one cgo
// call (rte_pktmbuf_free_bulk). nil entries are skipped; empty is a no-op.
func FreeBulk(ms []*Mbuf) {
	if len(ms) == 0 {
		return
	}
	C.rte_pktmbuf_free_bulk(mbufArray(ms), C.uint(len(ms)))
}
