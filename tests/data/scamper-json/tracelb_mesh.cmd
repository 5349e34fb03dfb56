# version: scamper version 20211212 (Debian scamper 20211212-1.1)
# lab: topo.lab.simulator.SimulatedPath (TUN path simulator in a private network namespace), scamper run inside it with ip netns exec; 2026-11-29 (VM clock)
# spec: {"destination": {"address": "203.0.113.9", "rtt_ms": 20}, "hops": [{"address": "192.168.7.1", "rtt_ms": 1}, ["13.208.1.1", "13.208.2.1"], ["13.208.3.1", "13.208.4.1", "13.208.5.1"], {"address": "13.208.9.1", "rtt_ms": 12}]}
# note: the simulator picks each hop's router by its own per-flow hash, so every TTL-2 router leads to every TTL-3 router; scamper lumps TTL 2-4 into one link
# exit status: 0
scamper -O warts -o tracelb_mesh.warts -c 'tracelb -w 1 -q 1' -i 203.0.113.9
sc_warts2json tracelb_mesh.warts
