"""Reserve a loopback port for one e2e test run.

Ports come from 20000-32000, below Linux's ephemeral range (32768-60999), so an outgoing
connection of another test can never take a port between the time it is reserved and the time a
server binds it; a reservation is an atomically created directory, so two tests running in
parallel never get the same port. The reservation names its owner (the test shell's pid) and is
reclaimed once that process is gone.
"""
import os
import random
import socket
import sys

ROOT = "/tmp/pkictl-e2e-ports"


def bindable(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def reclaim_if_stale(path):
    try:
        owner = int(open(os.path.join(path, "owner")).read())
    except (OSError, ValueError):
        return False
    if os.path.exists(f"/proc/{owner}"):
        return False
    grave = f"{path}.stale.{os.getpid()}"
    try:
        os.rename(path, grave)  # atomic: one reclaimer wins
    except OSError:
        return False
    for name in os.listdir(grave):
        os.unlink(os.path.join(grave, name))
    os.rmdir(grave)
    return True


def main():
    owner = sys.argv[1]
    os.makedirs(ROOT, exist_ok=True)
    rng = random.SystemRandom()
    for _ in range(5000):
        port = rng.randint(20000, 32000)
        path = os.path.join(ROOT, str(port))
        try:
            os.mkdir(path)
        except FileExistsError:
            if not reclaim_if_stale(path):
                continue
            try:
                os.mkdir(path)
            except FileExistsError:
                continue
        with open(os.path.join(path, "owner"), "w") as f:
            f.write(owner)
        if bindable(port):
            print(port)
            return 0
        # in use by something outside the tests: keep it reserved so nobody retries it this run
    print("free_port: no free port in 20000-32000", file=sys.stderr)
    return 1


sys.exit(main())
