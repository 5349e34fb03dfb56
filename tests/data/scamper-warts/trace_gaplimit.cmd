# version: scamper version 20211212 (Debian scamper 20211212-1.1)
# lab: topo.lab.simulator.SimulatedPath (TUN path simulator in a private network namespace), scamper run inside it with ip netns exec; 2026-11-29 (VM clock)
# spec: {"destination": {"address": "203.0.113.9", "rtt_ms": 20, "silent": true}, "hops": [{"address": "192.168.7.1", "rtt_ms": 1}, {"address": "100.64.12.1", "rtt_ms": 4}]}
# note: the destination never answers: scamper stops after 3 silent TTLs (stop_reason GAPLIMIT); sc_warts2text prints TTL 3-5 as '*'
# exit status: 0
scamper -O warts -o trace_gaplimit.warts -c 'trace -w 1 -q 2 -g 3' -i 203.0.113.9
