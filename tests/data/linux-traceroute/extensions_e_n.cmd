# version: Modern traceroute for Linux, version 2.1.2 (Debian traceroute 1:2.1.2-1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec
# exit status: 0, 1.0 s, tries: 1
traceroute.db -n -e -w 1 -q 3 -m 12 13.209.0.10
