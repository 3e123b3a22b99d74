"""Runs moto.server (same arguments) with the fixes localaws depends on.

moto 5.2.1's ECS RunTask for an awsvpc task reads the new network interface's
private_dns_name, which moto only sets when the subnet's VPC has DNS
hostnames enabled; otherwise RunTask fails with a 500 (AttributeError). The
interface here derives the name from its IP, as EC2 does, when none was set.
The patch is applied when moto imports the module.
"""

import importlib.abc
import importlib.util
import sys

_ENI_MODULE = "moto.ec2.models.elastic_network_interfaces"


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


class _PatchOnImport(importlib.abc.MetaPathFinder):

    def find_spec(self, name, path, target=None):
        if name != _ENI_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch_network_interface(module)

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
