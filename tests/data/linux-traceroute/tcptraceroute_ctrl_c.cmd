# version: Debian tcptraceroute wrapper (tcptraceroute.db) of Modern traceroute for Linux 2.1.2 (Debian traceroute 1:2.1.2-1)
# lab: ecmp (topo.lab.topology.ecmp_spec), run inside node src with ip netns exec, on a pty
# exit status: 2 (SIGINT), 1.0 s; Ctrl-C (0x03 written to the pty) 1 s after hop 5 was printed
# note: the pty's CR LF line ends are stored as LF, as a copy from a terminal has them
tcptraceroute -n -w 3 13.209.0.10
