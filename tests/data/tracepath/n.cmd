# version: tracepath from iputils 20221126 (Debian iputils-tracepath 3:20221126-1+deb12u1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec
# exit status: 0, 3.0 s, tries: 1
tracepath -n -m 12 13.209.0.10
