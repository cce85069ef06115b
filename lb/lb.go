// Package lb is the load-balancing vocabulary shared by the configuration
// and the dataplane: protocols of virtual services and forwarding methods.
package lb

import "fmt"

// Protocol is an IP protocol number of a service.
type Protocol uint8

const (
	ProtoTCP Protocol = 6
	ProtoUDP Protocol = 17
)

func (p Protocol) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// ParseProtocol accepts "tcp" or "udp".
func ParseProtocol(s string) (Protocol, bool) {
	switch s {
	case "tcp":
		return ProtoTCP, true
	case "udp":
		return ProtoUDP, true
	}
	return 0, false
}

// Method is how packets reach a real server; chosen per real server as in IPVS.
type Method uint8

const (
	MethodNAT Method = iota // ipvsadm -m
	MethodDR                // ipvsadm -g
	MethodTUN               // ipvsadm -i
)

func (m Method) String() string {
	switch m {
	case MethodNAT:
		return "nat"
	case MethodDR:
		return "dr"
	case MethodTUN:
		return "tun"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// Forward is the name ipvsadm -L prints in its Forward column.
func (m Method) Forward() string {
	switch m {
	case MethodNAT:
		return "Masq"
	case MethodDR:
		return "Route"
	case MethodTUN:
		return "Tunnel"
	}
	return "Unknown"
}

// ParseMethod accepts "nat", "dr" or "tun".
func ParseMethod(s string) (Method, bool) {
	switch s {
	case "nat":
		return MethodNAT, true
	case "dr":
		return MethodDR, true
	case "tun":
		return MethodTUN, true
	}
	return 0, false
}
