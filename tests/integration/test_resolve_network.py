"""resolve-network against the local AWS (moto behind the signature-checking proxy)."""

import json
import unittest

import harness


class ResolveNetworkTest(harness.LocalAwsTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fargate = cls.aws.seed_service(cluster="net-cluster", service="api")
        cls.spot = cls.aws.seed_service(
            cluster="net-cluster", service="spot", family="spot",
            capacity_provider_strategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
        cls.bridge = cls.aws.seed_service(
            cluster="net-cluster", service="legacy", family="legacy",
            network_mode="bridge", launch_type="EC2")

    def resolve(self, args, **kwargs):
        return harness.run_tool("resolve-network", args, self.aws.env(), **kwargs)

    def assertNoBadSignatures(self):
        stats = self.aws.stats()
        self.assertEqual(stats["signature_failures"], 0, stats)
        self.assertEqual(stats["model_violations"], [], stats)

    def test_reads_everything_from_the_service(self):
        r = self.resolve(["--cluster", "net-cluster", "--service", "api"])
        self.assertEqual(r.returncode, 0, r)
        o = r.outputs
        self.assertEqual(o["subnets"], ",".join(self.fargate["subnets"]))
        self.assertEqual(o["security_groups"], ",".join(self.fargate["security_groups"]))
        self.assertEqual(o["assign_public_ip"], "DISABLED")
        self.assertEqual(json.loads(o["network_configuration"]), {"awsvpcConfiguration": {
            "subnets": self.fargate["subnets"],
            "securityGroups": self.fargate["security_groups"],
            "assignPublicIp": "DISABLED"}})
        self.assertEqual(o["task_definition"], self.fargate["task_definition_arn"])
        self.assertEqual(o["launch_type"], "FARGATE")
        self.assertEqual(o["capacity_provider_strategy"], "")
        self.assertEqual(o["platform_version"], "LATEST")
        self.assertEqual(o["source"], "service")
        self.assertNoBadSignatures()

    def test_service_arn_works_too(self):
        r = self.resolve(["--cluster", self.fargate["cluster_arn"],
                          "--service", self.fargate["service_arn"]])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["task_definition"], self.fargate["task_definition_arn"])

    def test_explicit_values_override_field_by_field(self):
        r = self.resolve(["--cluster", "net-cluster", "--service", "api",
                          "--security-groups", "sg-0123abcd", "--assign-public-ip", "ENABLED"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["subnets"], ",".join(self.fargate["subnets"]))
        self.assertEqual(r.outputs["security_groups"], "sg-0123abcd")
        self.assertEqual(r.outputs["assign_public_ip"], "ENABLED")
        self.assertEqual(r.outputs["source"], "service+inputs")

    def test_capacity_provider_strategy_omits_launch_type(self):
        r = self.resolve(["--cluster", "net-cluster", "--service", "spot"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["launch_type"], "")
        strategy = json.loads(r.outputs["capacity_provider_strategy"])
        self.assertEqual(strategy[0]["capacityProvider"], "FARGATE_SPOT")

    def test_bridge_mode_needs_no_network_configuration(self):
        r = self.resolve(["--cluster", "net-cluster", "--service", "legacy"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["network_configuration"], "")
        self.assertEqual(r.outputs["network_mode"], "bridge")
        self.assertEqual(r.outputs["task_definition"], self.bridge["task_definition_arn"])

    def test_missing_service_falls_back_to_inputs(self):
        r = self.resolve(["--cluster", "net-cluster", "--service", "nope",
                          "--subnets", "subnet-0a1b", "--security-groups", "sg-0c2d"],
                         github_actions=True)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["source"], "inputs")
        self.assertEqual(r.outputs["subnets"], "subnet-0a1b")
        self.assertEqual(r.outputs["task_definition"], "")
        self.assertIn("::notice", r.stderr)
        self.assertIn("nope", r.stderr)

    def test_missing_service_without_fallback_names_both_fixes(self):
        r = self.resolve(["--cluster", "net-cluster", "--service", "nope"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("--subnets", r.stderr)
        self.assertIn("--service/--cluster", r.stderr)
        self.assertEqual(r.outputs, {})

    def test_missing_cluster_is_an_error_not_a_crash(self):
        r = self.resolve(["--cluster", "no-such-cluster", "--service", "api"])
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_inputs_only_makes_no_request(self):
        r = self.resolve(["--cluster", "net-cluster", "--subnets", "subnet-0a1b,subnet-0a1c"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["source"], "inputs")
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_bad_inputs_exit_2_with_no_request(self):
        cases = [
            ["--cluster", "net-cluster"],
            ["--service", "api"],
            ["--cluster", "net-cluster", "--service", "api", "--subnets", "subnet-XYZ"],
            ["--cluster", "net-cluster", "--service", "api", "--security-groups", "default"],
            ["--cluster", "net-cluster", "--service", "api", "--assign-public-ip", "sometimes"],
            ["--cluster", "net-cluster", "--security-groups", "sg-01"],
            ["--cluster", "arn:aws:ecs:nowhere", "--service", "api"],
            ["--cluster", "net-cluster", "--service", "api", "--unknown-flag"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = self.resolve(args)
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})


if __name__ == "__main__":
    unittest.main()
