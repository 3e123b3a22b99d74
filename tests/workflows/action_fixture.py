#!/usr/bin/env python3
"""A local AWS with a seeded ECS service that outlives one workflow step.

CI's `action` job runs the composite action itself (`uses: ./action`) against
it: `start` launches tests/aws_local (moto behind the signature-checking proxy,
with the ECS task lifecycle layer) in a detached process, seeds a cluster and a
service, and publishes how to reach it:

  - to $GITHUB_ENV: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_EC2_METADATA_DISABLED (the tools' standard
    configuration, so the action needs no special input);
  - to $GITHUB_OUTPUT: cluster, service.

`stop` shuts it down and fails if a task was left running.

Usage: action_fixture.py start|stop [--state FILE]  (default
$RUNNER_TEMP/ecsmig-action-fixture.json)
"""
import argparse
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))


def serve(state_path, ready_path):
    """The detached process: holds the LocalAws until SIGTERM."""
    import harness

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    aws = harness.LocalAws()
    try:
        seeded = aws.seed_service(cluster="ci-cluster", service="api")
        state = {
            "pid": os.getpid(), "endpoint": aws.endpoint, "region": aws.region,
            "access_key_id": aws.access_key_id, "secret_access_key": aws.secret_access_key,
            "cluster": seeded["cluster"], "service": seeded["service"],
        }
        with open(state_path, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.rename(state_path, ready_path)
        while not stopping:
            time.sleep(0.2)
        leftovers = aws.leftover_tasks()
        with open(ready_path + ".leftovers", "w", encoding="utf-8") as handle:
            json.dump(leftovers, handle)
    finally:
        aws.close()


def append(path_variable, lines):
    path = os.environ.get(path_variable)
    if not path:
        print("\n".join(lines))
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))


def start(state):
    for stale in (state, state + ".leftovers"):
        if os.path.exists(stale):
            os.unlink(stale)
    log = open(state + ".log", "wb")
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            serve(state + ".tmp", state)
        finally:
            os._exit(0)
    deadline = time.time() + 120
    while not os.path.exists(state):
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished or time.time() > deadline:
            sys.stderr.write(open(state + ".log", encoding="utf-8", errors="replace").read())
            sys.exit("action_fixture: the local AWS did not start")
        time.sleep(0.2)
    with open(state, encoding="utf-8") as handle:
        info = json.load(handle)
    append("GITHUB_ENV", [
        f"AWS_ENDPOINT_URL={info['endpoint']}", f"AWS_REGION={info['region']}",
        f"AWS_ACCESS_KEY_ID={info['access_key_id']}",
        f"AWS_SECRET_ACCESS_KEY={info['secret_access_key']}",
        "AWS_EC2_METADATA_DISABLED=true",
    ])
    append("GITHUB_OUTPUT", [f"cluster={info['cluster']}", f"service={info['service']}"])
    print(f"action_fixture: local AWS at {info['endpoint']}, service {info['cluster']}/{info['service']}")


def stop(state):
    if not os.path.exists(state):
        sys.exit("action_fixture: not started")
    with open(state, encoding="utf-8") as handle:
        pid = json.load(handle)["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 60
    while not os.path.exists(state + ".leftovers"):
        if time.time() > deadline:
            sys.exit("action_fixture: the local AWS did not stop")
        time.sleep(0.2)
    with open(state + ".leftovers", encoding="utf-8") as handle:
        leftovers = json.load(handle)
    if leftovers:
        sys.exit(f"action_fixture: tasks left running: {leftovers}")
    print("action_fixture: stopped; no task left running")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--state", default=os.path.join(
        os.environ.get("RUNNER_TEMP", "/tmp"), "ecsmig-action-fixture.json"))
    args = parser.parse_args()
    (start if args.command == "start" else stop)(args.state)


if __name__ == "__main__":
    main()
