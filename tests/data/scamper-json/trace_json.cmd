# version: scamper version 20211212 (Debian scamper 20211212-1.1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec
# exit status: 0, 1.3 s, tries: 1
scamper -O json -c 'trace -w 1 -q 1' -i 13.209.0.10
