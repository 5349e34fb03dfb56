# version: scamper version 20211212 (Debian scamper 20211212-1.1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec
# exit status: 0, 5.1 s, tries: 1
# note: scamper 20211212 matches no IPv6 udp-paris reply here (the replies do arrive): stop_reason GAPLIMIT and no hops; kept as a real edge case
scamper -O json -c 'trace -w 1 -q 1' -i 2001:db8:9::2
