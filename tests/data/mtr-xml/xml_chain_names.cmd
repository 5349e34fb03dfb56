# version: mtr 0.95 (Debian mtr-tiny 0.95-1)
# lab: chain (topo.lab.topology.chain_spec), run inside node src with ip netns exec
# exit status: 0, 7.9 s, tries: 1
mtr -c 3 --xml 13.209.0.10
