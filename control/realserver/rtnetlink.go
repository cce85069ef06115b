package realserver

import (
	nl "github.com/govs-project/govs/internal/rtnl"
)

// The link and address changes this package makes go through the shared
// rtnetlink client (internal/rtnl).

type rtnl = nl.Conn

func openRTNL() (*rtnl, error) { return nl.Open() }

// hasAddr reports whether the link holds exactly p.
var hasAddr = nl.HasAddr

// linkUp reports whether the link exists and has IFF_UP.
var linkUp = nl.LinkUp
