# version: mtr 0.95 (Debian mtr-tiny 0.95-1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec
# exit status: 0, 11.0 s, tries: 1
mtr -b -u -c 6 --csv 13.209.0.10
