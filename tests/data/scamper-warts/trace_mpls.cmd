# version: scamper version 20211212 (Debian scamper 20211212-1.1)
# lab: topo.lab.simulator.SimulatedPath (TUN path simulator in a private network namespace), scamper run inside it with ip netns exec; 2026-11-29 (VM clock)
# spec: {"destination": {"address": "203.0.113.9", "rtt_ms": 30}, "hops": [{"address": "192.168.7.1", "rtt_ms": 1}, {"address": "100.64.12.1", "rtt_ms": 5}, {"address": "13.208.0.1", "rtt_ms": 10, "mpls": [{"label": 16005, "exp": 0, "ttl": 1}, {"label": 24001, "exp": 0, "ttl": 1}]}, {"address": "13.208.9.1", "rtt_ms": 12, "mpls": [{"label": 24017, "exp": 5, "ttl": 1}]}, null, {"address": "203.0.113.1", "rtt_ms": 28}]}
# exit status: 0
scamper -O warts -o trace_mpls.warts -c 'trace -w 1 -q 1' -i 203.0.113.9
