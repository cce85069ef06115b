package main

import (
	"encoding/json"
	"errors"
	"flag"

	"github.com/govs-project/govs/control/admin"
)

// conns is ipvsadm -Lnc: every connection, fetched page by page and
// printed as each page arrives, so a table of millions streams.
func conns(e *env, args []string) error {
	fs := flag.NewFlagSet("conns", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	proto := fs.String("proto", "", "only `tcp` or udp")
	vip := fs.String("vip", "", "only to this virtual service: `ADDR` or ADDR:PORT")
	server := fs.String("server", "", "only to this real server: `ADDR` or ADDR:PORT")
	client := fs.String("client", "", "only from this client: `ADDR` or a network ADDR/LEN")
	state := fs.String("state", "", "only in this `STATE` (ESTABLISHED, SYN_RECV, TIME_WAIT, UDP...)")
	limit := fs.Int("page", 0, "connections per request (`N`; 0: the daemon's maximum)")
	most := fs.Int("n", 0, "stop after `N` connections (0: all)")
	fs.BoolVar(&e.json, "json", e.json, "print each page as a JSON line")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	q := admin.ConnFilter{}.Query()
	for k, v := range map[string]string{"proto": *proto, "virtual": *vip, "server": *server, "client": *client, "state": *state} {
		if v != "" {
			q.Set(k, v)
		}
	}
	f, err := admin.ParseConnFilter(q)
	if err != nil {
		return usageError{err.Error()}
	}
	f.Limit = *limit
	if !e.json {
		if _, err := e.stdout.Write([]byte(admin.ConnHeader)); err != nil {
			return err
		}
	}
	shown := 0
	err = admin.Dial(e.socket).EachConnPage(f, func(p admin.ConnPage) error {
		if *most > 0 && shown+len(p.Conns) >= *most {
			p.Conns = p.Conns[:*most-shown]
		}
		shown += len(p.Conns)
		if err := printConnPage(e, p); err != nil {
			return err
		}
		if *most > 0 && shown >= *most {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

func printConnPage(e *env, p admin.ConnPage) error {
	if e.json {
		b, err := json.Marshal(p)
		if err == nil {
			_, err = e.stdout.Write(append(b, '\n'))
		}
		return err
	}
	return admin.FormatConns(e.stdout, p.Conns)
}
