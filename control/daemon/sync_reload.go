package daemon

import (
	"errors"
	"reflect"

	"github.com/govs-project/govs/control/config"
)

// syncUnchanged refuses a reload that changes connection sync beyond its
// threshold and period (which the lcores take from the next snapshot):
// the socket, the role it follows, the pacing and the key are set up at
// start, and the lcores' sync rings exist only if it was on at start.
func syncUnchanged(old, new config.Sync) error {
	old.Threshold, old.Period, new.Threshold, new.Period = 0, 0, 0, 0
	if !reflect.DeepEqual(old, new) {
		return errors.New("sync: changed; connection sync (other than threshold and period) applies only at start, restart govsd")
	}
	return nil
}
