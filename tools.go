//go:build tools

package main
import (
 _ "github.com/spf13/viper"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/vishvananda/netlink"
 _ "github.com/vishvananda/netns"
 _ "golang.org/x/sys/unix"
 _ "github.com/google/gopacket"
)
func main(){}
