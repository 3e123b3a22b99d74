"""git for the tests' throwaway repositories: a fixed identity and no system
or global configuration, so that a test runs the same on any machine."""

import os
import subprocess

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(repo, *args, input=None, check=True):
    """Runs `git -C repo args`; returns its standard output (bytes). A
    failure raises AssertionError with git's message (unless check=False)."""
    out = subprocess.run(["git", "-C", str(repo), *args], input=input,
                         env=dict(os.environ, **GIT_ENV), capture_output=True, check=False)
    if check and out.returncode != 0:
        raise AssertionError(f"git {args} failed: {out.stderr.decode(errors='replace')}")
    return out.stdout
