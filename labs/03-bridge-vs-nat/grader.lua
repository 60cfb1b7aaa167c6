-- labs/03-bridge-vs-nat's grader: the answers against what the DomUs and
-- Domain-0 said in the run (its results.txt).
question{ key = "linux_ip", expect = results.linux_ip,
  hint = "the DHCP: line of linux's console, or its DHCP ACK in peth0.pcap (bootp.ip.your)" }
question{ key = "linux_router", expect = results.linux_router,
  hint = "who leased linux's address: the LAN's router (DHCP option 3 in the ACK)" }
question{ key = "nat_ip", expect = results.nat_ip,
  hint = "the DHCP: line of nat's console: dnsmasq on virbr0 in Domain-0 leased it" }
question{ key = "nat_router", expect = results.nat_router,
  hint = "nat's default gateway: virbr0's address in Domain-0" }
question{ key = "mac_prefix", expect = { "00:16:3e", "00:16:3E", "00163e" },
  hint = "both DomUs' MACs start with the same three bytes: Xen's OUI (xl.cfg's vif mac=, /sys/class/net/eth0/address)" }
question{ key = "nat_vif", expect = results.virbr0_ports,
  hint = "which vifD.N joined virbr0: ls /sys/class/net/virbr0/brif in Domain-0 (D is the domain's id)" }
question{ key = "www_sees_nat_from", expect = results.dom0_xenbr0_ip,
  hint = "in peth0.pcap, the source address of the HTTP GET nat made: MASQUERADE rewrote it to an address of Domain-0's" }
question{ key = "www_sees_linux_from", expect = results.linux_ip,
  hint = "in peth0.pcap, the source address of the HTTP GET linux made: a bridge forwards frames unchanged" }
question{ key = "nat_in_lan_capture", expect = { "no", "0", "none" },
  hint = "does any frame on the LAN's wire (peth0.pcap) carry a 192.168.122.x address? (ip.addr == 192.168.122.0/24)" }
