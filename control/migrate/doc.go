// Package migrate converts IPVS configurations into govs YAML: the rules
// `ipvsadm -Sn` prints and keepalived.conf (virtual servers, their real
// servers and checkers, and VRRP instances, sync groups and scripts).
//
// A conversion never drops anything silently. A directive govs has no
// equivalent for is a Warning naming its file and line; a directive that
// has an equivalent govs does not implement yet is still written under the
// key govs will read it from, and is reported as well, because the result
// is checked with control/config's own parser before it is returned.
// Input that cannot be read at all (an unbalanced brace, an unknown
// ipvsadm option) is a *SyntaxError instead.
package migrate
