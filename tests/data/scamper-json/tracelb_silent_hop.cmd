# version: scamper version 20211212 (Debian scamper 20211212-1.1)
# lab: topo.lab.simulator.SimulatedPath (TUN path simulator in a private network namespace), scamper run inside it with ip netns exec; 2026-11-29 (VM clock)
# spec: {"destination": {"address": "203.0.113.9", "rtt_ms": 20}, "hops": [{"address": "192.168.7.1", "rtt_ms": 1}, {"address": "100.64.12.1", "rtt_ms": 4}, ["13.208.1.1", "13.208.2.1"], null, {"address": "13.208.9.1", "rtt_ms": 12}]}
# note: 22 s
# exit status: 0
scamper -O json -c 'tracelb -w 1 -q 1' -i 203.0.113.9
