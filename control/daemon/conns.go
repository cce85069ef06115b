package daemon

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/packet"
)

// Conns is the connection listing: one page of the workers' tables, read
// while the lcores run (dataplane.Conns).
func (d *Daemon) Conns(f admin.ConnFilter) (admin.ConnPage, error) {
	q, err := connQuery(f)
	if err != nil {
		return admin.ConnPage{}, err
	}
	var page dataplane.ConnPage
	if !d.withDataplane(func() { page, err = d.dp.Conns(q) }) {
		return admin.ConnPage{}, errStopped
	}
	if err != nil {
		return admin.ConnPage{}, err
	}
	out := admin.ConnPage{Done: page.Done, Unstable: page.Unstable, Conns: make([]admin.Conn, 0, len(page.Conns))}
	if !page.Done {
		out.Next = fmt.Sprintf("%d:%d", page.Next.Worker, page.Next.Index)
	}
	for _, c := range page.Conns {
		out.Conns = append(out.Conns, admin.Conn{Proto: c.Proto, State: c.State, ExpiresIn: c.ExpiresIn.Seconds(),
			Client: c.Client.String(), Virtual: c.Virtual.String(), Server: c.Server.String(), Method: c.Method, Lcore: c.Worker, Synced: c.Synced})
	}
	return out, nil
}

func connQuery(f admin.ConnFilter) (dataplane.ConnQuery, error) {
	q := dataplane.ConnQuery{Virtual: f.Virtual, Server: f.Server, Client: f.Client, State: f.State, Limit: f.Limit}
	switch f.Proto {
	case "tcp":
		q.Proto = packet.ProtoTCP
	case "udp":
		q.Proto = packet.ProtoUDP
	}
	if f.Cursor != "" {
		w, i, ok := strings.Cut(f.Cursor, ":")
		worker, err1 := strconv.Atoi(w)
		index, err2 := strconv.ParseUint(i, 10, 32)
		if !ok || err1 != nil || err2 != nil || worker < 0 {
			return q, fmt.Errorf("cursor %q: not one this daemon gave", f.Cursor)
		}
		q.Cursor = dataplane.ConnCursor{Worker: worker, Index: uint32(index)}
	}
	return q, nil
}
