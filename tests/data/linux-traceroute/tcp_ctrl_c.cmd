# version: Modern traceroute for Linux, version 2.1.2 (Debian traceroute 1:2.1.2-1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec, on a pty
# exit status: 2 (SIGINT), 7.0 s; Ctrl-C (0x03 written to the pty) 4 s into TTL 6, the silent hop
# note: the pty's CR LF line ends are stored as LF, as a copy from a terminal has them
traceroute -T -n -N 1 -w 3 13.209.0.10
