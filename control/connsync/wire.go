package connsync

import (
	"encoding/binary"
	"fmt"
)

// IPVS's sync protocol, version 1 (Linux net/netfilter/ipvs/ip_vs_sync.c):
// an 8-byte header (reserved 0, sync id, size of the whole message, number
// of records, version 1, spare), then that many records. An IPv4 record is
// 36 bytes (type 0, protocol, version and size of the record with its
// options, flags, state, client/virtual/destination ports, firewall mark,
// timeout in seconds, the three addresses), then options (type, length,
// data); the next record starts at the next multiple of 4. The kernel takes
// a message as version 1 only with reserved and spare 0: govs's
// authenticated messages set a spare bit (auth.go), so a kernel ignores
// them rather than trusting them.
const (
	HeaderLen   = 8
	RecordLen   = 36 // an IPv4 record without options
	recordLenV6 = 72 // an IPv6 record: the same with 16-byte addresses
	Version     = 1
	MaxConns    = 255   // nr_conns is a byte
	MaxMessage  = 65507 // the largest UDP payload over IPv4
	DefaultPort = 8848  // IP_VS_SYNC_PORT

	recordIPv6 = 0x01 // type bit STYPE_F_INET6
	verShift   = 12   // ver_size: version in the top 4 bits, size in the low 12
	sizeMask   = 0x0fff
)

// Record options (ip_vs_sync.c IPVS_OPT_*). An unknown option is skipped
// when it has optParamFlag ("not mandatory"); otherwise the record is.
const (
	OptSeqData   = 1    // sequence adjustment of a NAT connection (two 12-byte ip_vs_seq)
	OptPEData    = 2    // persistence engine data
	OptPEName    = 3    // persistence engine name
	optParamFlag = 0x40 // IPVS_OPT_F_PARAM = 1 << (IPVS_OPT_PARAM-1), IPVS_OPT_PARAM 7
	seqDataLen   = 24   // sizeof(struct ip_vs_sync_conn_options)
	peNameMaxLen = 16   // IP_VS_PENAME_MAXLEN
)

// IPVS connection flags (include/uapi/linux/ip_vs.h). A backup keeps only
// IP_VS_CONN_F_BACKUP_MASK of what a master sends (the forwarding method,
// NOOUTPUT, INACTIVE, the sequence bits, NO_CPORT, TEMPLATE); the kernel
// master sends its flags unmasked (but HASHED), SYNC and ONE_PACKET
// included, so the decoder masks as the kernel does; it refuses only bits
// no kernel defines, and forwarding methods a backup cannot take.
const (
	FlagFwdMask   = 0x0007
	FlagFwdMasq   = 0x0000
	FlagFwdLocal  = 0x0001
	FlagFwdTunnel = 0x0002
	FlagFwdDRoute = 0x0003
	FlagFwdBypass = 0x0004
	FlagSync      = 0x0020 // set by a backup on the entries sync made
	FlagNoOutput  = 0x0080
	FlagInactive  = 0x0100
	FlagOutSeq    = 0x0200
	FlagInSeq     = 0x0400
	FlagSeqMask   = 0x0600
	FlagNoCPort   = 0x0800
	FlagTemplate  = 0x1000
	FlagOnePacket = 0x2000 // never synced by the kernel
	FlagHashed    = 0x0040
	FlagNFCT      = 0x10000 // IP_VS_CONN_F_NFCT, "not sent to backup" but not masked by the kernel's sender
	// knownFlags are the bits a kernel master may send; a record with
	// another bit set is refused (bad_flags) rather than guessed at.
	knownFlags = FlagFwdMask | FlagSync | FlagHashed | FlagNoOutput | FlagInactive | FlagSeqMask | FlagNoCPort | FlagTemplate | FlagOnePacket | FlagNFCT
	BackupMask = FlagFwdMask | FlagNoOutput | FlagInactive | FlagSeqMask | FlagNoCPort | FlagTemplate
)

// IPVS state numbers (include/net/ip_vs.h): TCP's IP_VS_TCP_S_*; UDP has
// one state, IP_VS_UDP_S_NORMAL 0. A template's state is 0.
const (
	TCPNone = iota
	TCPEstablished
	TCPSynSent
	TCPSynRecv
	TCPFinWait
	TCPTimeWait
	TCPClose
	TCPCloseWait
	TCPLastAck
	TCPListen
	TCPSynAck
	tcpStates // IP_VS_TCP_S_LAST
)

const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// Header is a message's header.
type Header struct {
	SyncID uint8
	Size   uint16
	Conns  uint8
	Spare  uint16
}

// DecodeError says why a message or a record was refused; Reason is the
// counter's label.
type DecodeError struct {
	Reason string
	Detail string
}

func (e *DecodeError) Error() string { return "sync message: " + e.Reason + ": " + e.Detail }

func refuse(reason, format string, args ...any) error {
	return &DecodeError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf is the counter label of a decoding error ("other" for one that
// is not a DecodeError).
func ReasonOf(err error) string {
	if e, ok := err.(*DecodeError); ok {
		return e.Reason
	}
	return "other"
}

// Encoder packs records into messages of at most MaxMessage bytes, the
// authentication trailer (Trailer bytes) included.
type Encoder struct {
	SyncID     uint8
	MaxMessage int
	Trailer    int
}

// PerMessage is how many records fit one message.
func (e Encoder) PerMessage() int {
	n := (min(e.MaxMessage, MaxMessage) - HeaderLen - e.Trailer) / RecordLen
	return max(0, min(n, MaxConns))
}

// Append appends a message holding cs (at most PerMessage of them) to dst,
// with spare as the header's spare field; its size counts the trailer the
// caller appends. govs sends no options: it adjusts no sequence numbers
// and has no persistence engines.
func (e Encoder) Append(dst []byte, cs []Conn, spare uint16) []byte {
	size := HeaderLen + len(cs)*RecordLen + e.Trailer
	dst = append(dst, 0, e.SyncID, byte(size>>8), byte(size), byte(len(cs)), Version, byte(spare>>8), byte(spare))
	for i := range cs {
		dst = appendRecord(dst, &cs[i])
	}
	return dst
}

// AppendMessages appends to dst as many messages as cs needs, each
// unsigned, and returns them as slices of the one buffer.
func (e Encoder) AppendMessages(dst []byte, cs []Conn) (buf []byte, msgs [][]byte) {
	per := e.PerMessage()
	if per == 0 {
		return dst, nil
	}
	var starts []int
	for len(cs) > 0 {
		n := min(per, len(cs))
		starts = append(starts, len(dst))
		dst = e.Append(dst, cs[:n], 0)
		cs = cs[n:]
	}
	for i, s := range starts {
		end := len(dst)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		msgs = append(msgs, dst[s:end:end])
	}
	return dst, msgs
}

func appendRecord(b []byte, c *Conn) []byte {
	b = append(b, 0, c.Proto, 0, RecordLen) // ver_size: version 0, size 36
	b = binary.BigEndian.AppendUint32(b, c.Flags)
	b = binary.BigEndian.AppendUint16(b, c.State)
	b = binary.BigEndian.AppendUint16(b, c.CPort)
	b = binary.BigEndian.AppendUint16(b, c.VPort)
	b = binary.BigEndian.AppendUint16(b, c.DPort)
	b = binary.BigEndian.AppendUint32(b, c.Fwmark)
	b = binary.BigEndian.AppendUint32(b, c.Timeout)
	b = binary.BigEndian.AppendUint32(b, c.Client)
	b = binary.BigEndian.AppendUint32(b, c.VIP)
	return binary.BigEndian.AppendUint32(b, c.Dest)
}

// ParseHeader checks msg's header against its length.
func ParseHeader(msg []byte) (Header, error) {
	if len(msg) < HeaderLen {
		return Header{}, refuse("short", "%d bytes, a header is %d", len(msg), HeaderLen)
	}
	h := Header{SyncID: msg[1], Size: binary.BigEndian.Uint16(msg[2:]), Conns: msg[4], Spare: binary.BigEndian.Uint16(msg[6:])}
	switch {
	case int(h.Size) != len(msg):
		return h, refuse("size_mismatch", "header says %d bytes, datagram has %d", h.Size, len(msg))
	case msg[5] != Version:
		return h, refuse("bad_version", "version %d (only version 1 is spoken)", int8(msg[5]))
	case msg[0] != 0:
		return h, refuse("bad_reserved", "reserved byte %d", msg[0])
	case h.Spare&^(SpareAuth|SpareResyncRequest) != 0:
		return h, refuse("bad_spare", "spare field %#04x", h.Spare)
	}
	return h, nil
}

// Decode checks msg (one datagram) and calls fn with each usable record
// and skip with the reason of each well-formed record govs cannot use. It
// does not check the MAC of an authenticated message (Verify does); it
// only leaves the trailer out of the records. fn's Conn is reused: copy it.
func Decode(msg []byte, fn func(c *Conn), skip func(reason string)) (Header, error) {
	h, err := ParseHeader(msg)
	if err != nil {
		return h, err
	}
	body := msg[HeaderLen:]
	if h.Spare&SpareAuth != 0 {
		if len(body) < TrailerLen {
			return h, refuse("short", "%d bytes, an authenticated message has at least %d", len(msg), HeaderLen+TrailerLen)
		}
		body = body[:len(body)-TrailerLen]
	}
	return h, DecodeRecords(body, int(h.Conns), fn, skip)
}

// DecodeRecords walks the n records of body (a message without header and
// trailer). As the kernel, a malformed record ends the walk with an error
// (the message is refused), while a well-formed one that cannot be used
// (IPv6, another protocol, a state out of range, a mandatory option or a
// persistence engine govs lacks) is reported to skip and the walk goes on.
func DecodeRecords(body []byte, n int, fn func(c *Conn), skip func(reason string)) error {
	var c Conn
	for i := 1; i <= n; i++ {
		if len(body) < RecordLen {
			return refuse("truncated_record", "record %d of %d: %d bytes left", i, n, len(body))
		}
		vs := binary.BigEndian.Uint16(body[2:])
		size := int(vs & sizeMask)
		switch {
		case vs>>verShift != 0:
			return refuse("bad_record_version", "record %d: version %d", i, vs>>verShift)
		case size > len(body):
			return refuse("truncated_record", "record %d: size %d, %d bytes left", i, size, len(body))
		case body[0]&^recordIPv6 != 0:
			return refuse("bad_record_type", "record %d: type %#x", i, body[0])
		}
		fixed := RecordLen
		if body[0]&recordIPv6 != 0 {
			fixed = recordLenV6
		}
		rec := body[:size]
		body = body[min((size+3)&^3, len(body)):]
		if size < fixed {
			return refuse("bad_record_size", "record %d: size %d, at least %d", i, size, fixed)
		}
		usable, err := checkOptions(rec[fixed:], i)
		if err != nil {
			return err
		}
		if rec[0]&recordIPv6 != 0 {
			skip("ipv6")
			continue
		}
		if usable != "" {
			skip(usable)
			continue
		}
		flags := binary.BigEndian.Uint32(rec[4:])
		if flags&^knownFlags != 0 {
			skip("bad_flags")
			continue
		}
		c = Conn{Proto: rec[1], Flags: flags & BackupMask, State: binary.BigEndian.Uint16(rec[8:]),
			CPort: binary.BigEndian.Uint16(rec[10:]), VPort: binary.BigEndian.Uint16(rec[12:]), DPort: binary.BigEndian.Uint16(rec[14:]),
			Fwmark: binary.BigEndian.Uint32(rec[16:]), Timeout: binary.BigEndian.Uint32(rec[20:]),
			Client: binary.BigEndian.Uint32(rec[24:]), VIP: binary.BigEndian.Uint32(rec[28:]), Dest: binary.BigEndian.Uint32(rec[32:])}
		if reason := c.unusable(); reason != "" {
			skip(reason)
			continue
		}
		fn(&c)
	}
	if len(body) > 3 {
		return refuse("trailing_bytes", "%d bytes after %d records", len(body), n)
	}
	return nil
}

// unusable says why a decoded record cannot be entered ("" if it can).
func (c *Conn) unusable() string {
	if c.Flags&FlagFwdMask > FlagFwdDRoute {
		return "bad_flags" // bypass or a method mainline IPVS lacks
	}
	if c.Flags&FlagTemplate != 0 {
		// The kernel neither checks a template's protocol nor keeps its
		// state; a fwmark service's templates have protocol 0.
		if c.Proto != 0 && c.Proto != ProtoTCP && c.Proto != ProtoUDP {
			return "bad_proto"
		}
		c.State = 0
		return ""
	}
	switch {
	case c.Proto == ProtoTCP && c.State < tcpStates, c.Proto == ProtoUDP && c.State == 0:
		return ""
	case c.Proto == ProtoTCP || c.Proto == ProtoUDP:
		return "bad_state"
	}
	return "bad_proto"
}

// checkOptions walks a record's options (type, length, data). A malformed
// option is an error (as the kernel's -30..-70); usable is the reason to
// skip the record, "" when govs can enter it.
func checkOptions(opts []byte, rec int) (usable string, err error) {
	var seen uint8
	for len(opts) > 0 {
		if len(opts) < 2 || opts[1] == 0 || int(opts[1]) > len(opts)-2 {
			return "", refuse("bad_option", "record %d: option runs past the record", rec)
		}
		typ, l := opts[0]&^optParamFlag, int(opts[1])
		switch typ {
		case OptSeqData, OptPEData, OptPEName:
			bit := uint8(1) << typ
			if seen&bit != 0 || typ == OptSeqData && l != seqDataLen || typ == OptPEName && l > peNameMaxLen {
				return "", refuse("bad_option", "record %d: option %d of %d bytes", rec, typ, l)
			}
			seen |= bit
			if typ == OptPEData && usable == "" {
				usable = "pe_data" // no persistence engine here (the kernel's "no engine")
			}
		default:
			if opts[0]&optParamFlag == 0 && usable == "" {
				usable = "unknown_option"
			}
		}
		opts = opts[2+l:]
	}
	return usable, nil
}
