"""``python -m topo``: the ``topo`` command (handy inside ``ip netns exec``)."""

from topo.cli import main

if __name__ == "__main__":
    main()
