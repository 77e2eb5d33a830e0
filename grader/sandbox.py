"""Where the submission's kernel runs: the command prefix that confines it.

Placeholder until the sandbox lands: no confinement.
"""


def launch_prefix(workdir, config):
    """Command-line prefix for the kernel process ([] means: run it directly)."""
    return []
