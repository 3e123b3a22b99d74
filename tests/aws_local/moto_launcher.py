"""Runs moto.server (same arguments) with the fixes localaws depends on.

moto 5.2.1 answers some valid ECS RunTask requests with a 500:
  * for an awsvpc task it reads the new network interface's
    private_dns_name, which moto only sets when the subnet's VPC has DNS
    hostnames enabled: here the interface derives the name from its IP, as EC2
    does, when none was set;
  * it adds up container memory and fails on a container with neither
    memory nor memoryReservation (valid with task-level memory, the usual
    Fargate definition): here such a container counts as 0.
The patches are applied when moto imports the modules.
"""

import importlib.abc
import importlib.util
import sys

def _patch_network_interface(module):
    cls = module.NetworkInterface
    if isinstance(getattr(cls, "private_dns_name", None), property):
        return
    from moto.ec2.utils import generate_dns_from_ip

    def get(self):
        name = self.__dict__.get("_localaws_private_dns_name")
        return name or generate_dns_from_ip(self.private_ip_address)

    def set_(self, value):
        self.__dict__["_localaws_private_dns_name"] = value

    cls.private_dns_name = property(get, set_)


def _patch_ecs_backend(module):
    backend = module.EC2ContainerServiceBackend
    name = "_calculate_task_resource_requirements"
    is_static = isinstance(backend.__dict__.get(name), staticmethod)
    original = getattr(backend, name)

    def calculate(*args):
        task_definition = args[-1]
        definitions = task_definition.container_definitions
        patched = []
        for definition in definitions:
            if not any(k in definition for k in ("memory", "memoryReservation",
                                                  "Memory",
                                                  "MemoryReservation")):
                patched.append(definition)
                definition["memoryReservation"] = 0
        try:
            return original(*args)
        finally:
            for definition in patched:
                del definition["memoryReservation"]

    setattr(backend, name, staticmethod(calculate) if is_static else calculate)


_PATCHES = {
    "moto.ec2.models.elastic_network_interfaces": _patch_network_interface,
    "moto.ecs.models": _patch_ecs_backend,
}


class _PatchOnImport(importlib.abc.MetaPathFinder):

    def __init__(self):
        self._busy = set()

    def find_spec(self, name, path, target=None):
        patch = _PATCHES.get(name)
        if patch is None or name in self._busy:
            return None
        self._busy.add(name)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._busy.discard(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


# The services ecsmig uses. moto imports a service on its first request, in
# the request's thread; importing them here, before serving, costs the same
# time once and avoids two threads importing moto's interdependent modules at
# once.
PRELOADED = ("moto.ecs.urls", "moto.ec2.urls", "moto.logs.urls",
             "moto.sts.urls", "moto.iam.urls")


def main(argv):
    sys.meta_path.insert(0, _PatchOnImport())
    import importlib
    for name in PRELOADED:
        importlib.import_module(name)
    from moto.server import main as moto_main
    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
