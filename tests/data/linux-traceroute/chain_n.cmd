# version: Modern traceroute for Linux, version 2.1.2 (Debian traceroute 1:2.1.2-1)
# lab: chain (topo.lab.topology.chain_spec), run inside node src with ip netns exec
# exit status: 0, 0.0 s, tries: 1
traceroute.db -n -w 1 -q 3 -m 12 13.209.0.10
