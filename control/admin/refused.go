package admin

// ReloadRefusedError is a reload refused because of the configuration: the
// file does not parse or validate, it changes a start-time section, or the
// dataplane cannot build it (a limit, an unimplemented feature). It is the
// operator's to fix, so the API answers 400 with the reason; every other
// reload error is internal (500). The running configuration stays either way.
type ReloadRefusedError struct{ Err error }

func (e *ReloadRefusedError) Error() string { return e.Err.Error() }

func (e *ReloadRefusedError) Unwrap() error { return e.Err }
