package main

import "github.com/govs-project/govs/control/admin"

// syncText prints the connection sync daemon (govsctl sync).
func syncText(e *env, c *admin.Client) error {
	st, err := c.Sync()
	if err != nil {
		return err
	}
	return admin.FormatSync(e.stdout, st)
}
