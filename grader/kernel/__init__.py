"""The student's kernel: its session, the probe driver that runs inside it, and the sandbox
levels that confine it (bubblewrap, a uid of its own, the disk quota)."""
