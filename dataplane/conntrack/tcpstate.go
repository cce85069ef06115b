package conntrack

// Rows of the transition tables, selected by the packet's most significant
// flag: RST beats SYN beats FIN beats ACK (IPVS's tcp_state_idx).
const (
	rowSYN = iota
	rowFIN
	rowACK
	rowRST
	numRows
)

type tcpTable [numRows][numTCPStates]uint8

// Short names so the tables line up with IPVS's (columns = current state).
const (
	sNO = StateNone
	sES = StateEstablished
	sSS = StateSynSent
	sSR = StateSynRecv
	sFW = StateFinWait
	sTW = StateTimeWait
	sCL = StateClose
	sCW = StateCloseWait
	sLA = StateLastAck
	sLI = StateListen
	sSA = StateSynAck
)

// IPVS's tcp_states (current kernels), one table per direction.
var (
	// Client -> server, when replies also cross the director (NAT).
	tcpInput = tcpTable{
		//        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA
		rowSYN: {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
		rowFIN: {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW},
		rowACK: {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
		rowRST: {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR},
	}
	// Server -> client (NAT replies).
	tcpOutput = tcpTable{
		rowSYN: {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR},
		rowFIN: {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW},
		rowACK: {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES},
		rowRST: {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL},
	}
	// Client -> server when the director never sees replies (DR, TUN).
	tcpInputOnly = tcpTable{
		rowSYN: {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR},
		rowFIN: {sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW},
		rowACK: {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES},
		rowRST: {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL},
	}
)

// flagRow picks the table row for a flags byte; -1 means no state-changing
// flag, and the state stays as it is.
func flagRow(flags uint8) int {
	switch {
	case flags&FlagRST != 0:
		return rowRST
	case flags&FlagSYN != 0:
		return rowSYN
	case flags&FlagFIN != 0:
		return rowFIN
	case flags&FlagACK != 0:
		return rowACK
	}
	return -1
}

func (tt *tcpTable) next(cur, flags uint8) uint8 {
	row := flagRow(flags)
	if row < 0 || cur >= numTCPStates {
		return cur // not a TCP state (e.g. StateUDP): leave it alone
	}
	return tt[row][cur]
}

// NextTCPState returns the state after a packet with the given TCP flags,
// for connections whose packets cross the director in both directions
// (NAT). fromClient selects the client->server (input) table.
func NextTCPState(cur uint8, fromClient bool, flags uint8) uint8 {
	if fromClient {
		return tcpInput.next(cur, flags)
	}
	return tcpOutput.next(cur, flags)
}

// NextTCPStateInputOnly is NextTCPState for DR and TUN, where the director
// sees only client->server packets and must infer the server's side.
func NextTCPStateInputOnly(cur uint8, flags uint8) uint8 {
	return tcpInputOnly.next(cur, flags)
}
