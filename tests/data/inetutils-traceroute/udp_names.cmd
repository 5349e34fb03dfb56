# version: traceroute (GNU inetutils) 2.4 (Debian inetutils-traceroute 2:2.4-2+deb12u3)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec
# exit status: 0, 3.0 s, tries: 1
inetutils-traceroute --resolve-hostnames -w 1 -q 3 -m 12 13.209.0.10
