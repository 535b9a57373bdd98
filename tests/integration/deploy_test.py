#!/usr/bin/python3
"""deploy/ checked against the crvs binary it deploys (CTest: deploy_test).

For the compose file, the Kubernetes manifests and the systemd units:
  - every file parses (YAML, TOML, unit-file syntax);
  - every crvs invocation names a subcommand that exists, with options the subcommand knows;
  - every configuration a process would run with (the shared TOML file plus that process's
    CRVS_<SECTION>_<KEY> variables) passes `crvs config check`: a misspelt key fails here, not
    at 3 a.m. in production;
  - every server that leaves plaintext has a CA, certificate and key configured;
  - references hold: volumes name existing config maps and secrets, services and autoscalers
    select existing deployments, the Kafka cluster has three KRaft voters.
Usage: deploy_test.py <crvs binary> <source dir>
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest

import yaml

CRVS = SOURCE = None
SERVER_SECTIONS = {"gateway": "gateway", "registry": "registry", "reconcile": "reconcile",
                   "admin": "admin", "feeds": "feeds"}


def crvs(args, env=None, check=False):
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("CRVS_")}
    run_env.update(env or {})
    return subprocess.run([CRVS] + args, env=run_env, capture_output=True, text=True,
                          timeout=60, check=check)


def effective_config(toml_text, env):
    """`crvs config check` then `crvs config dump` for one process; returns the parsed dump."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(toml_text)
        path = f.name
    try:
        env = dict(env, CRVS_CONFIG=path)
        # --no-files: the keyring and certificates live on the deployment's machines, not here.
        checked = crvs(["config", "check", "--no-files"], env)
        if checked.returncode != 0:
            raise AssertionError(f"crvs config check failed (exit {checked.returncode}) with "
                                 f"{sorted(env)}:\n{checked.stdout}{checked.stderr}")
        dumped = crvs(["config", "dump"], env, check=True)
        return tomllib.loads(dumped.stdout)
    finally:
        os.unlink(path)


_help_cache = {}


def subcommand_help(path):
    key = tuple(path)
    if key not in _help_cache:
        r = crvs(list(path) + ["--help"])
        # CLI11 prints the nearest existing command's help for an unknown one: require the
        # usage line to name the whole path.
        usage = "Usage: " + " ".join(["crvs"] + list(path)) + " "
        _help_cache[key] = r.stdout if r.returncode == 0 and usage in r.stdout else None
    return _help_cache[key]


def check_invocation(test, argv, where):
    """argv: the arguments after `crvs`. Subcommands must exist and options must be known."""
    path, options = [], []
    for a in argv:
        if a.startswith("-"):
            options.append(a.split("=")[0])
        elif not options and re.fullmatch(r"[a-z][a-z-]*", a) and \
                subcommand_help(path + [a]) is not None:
            path.append(a)
    test.assertTrue(path, f"{where}: no crvs subcommand in {argv}")
    help_text = subcommand_help(path)
    test.assertIsNotNone(help_text, f"{where}: `crvs {' '.join(path)}` does not exist")
    for o in options:
        test.assertIn(o, help_text, f"{where}: `crvs {' '.join(path)}` has no option {o}")
    return path


def shell_crvs_invocations(script):
    """Every `crvs ...` command line of a shell script (continuations joined)."""
    script = script.replace("\\\n", " ")
    out = []
    for line in script.splitlines():
        m = re.search(r"(?:^|[;&|]\s*|\|\|\s*|&&\s*|\]\s*\|\|\s*)crvs\s+(.*)", line.strip())
        if m:
            out.append(m.group(1).split())
    return out


def assert_tls_complete(test, config, sections, where):
    for s in sections:
        if config.get(s, {}).get("plaintext", True):
            continue
        tls = config.get("tls", {})
        for key in ("ca_file", "cert_file", "key_file"):
            test.assertTrue(tls.get(key), f"{where}: {s}.plaintext=false but tls.{key} is empty")


class Compose(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(SOURCE, "deploy", "compose")
        with open(os.path.join(self.dir, "compose.yaml")) as f:
            self.compose = yaml.safe_load(f)
        with open(os.path.join(self.dir, "crvs.toml")) as f:
            self.toml = f.read()
        tomllib.loads(self.toml)
        self.services = self.compose["services"]

    def test_kafka_is_three_kraft_brokers_and_postgres(self):
        brokers = [n for n, s in self.services.items() if s.get("image", "").startswith("apache/kafka")
                   and "KAFKA_NODE_ID" in (s.get("environment") or {})]
        self.assertEqual(len(brokers), 3, brokers)
        for b in brokers:
            env = self.services[b]["environment"]
            self.assertIn("controller", env["KAFKA_PROCESS_ROLES"])
            self.assertEqual(len(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")), 3)
            self.assertEqual(str(env["KAFKA_MIN_INSYNC_REPLICAS"]), "2")
        self.assertTrue(self.services["postgres"]["image"].startswith("postgres:"))

    def test_every_crvs_process_has_a_valid_configuration(self):
        seen = set()
        for name, s in self.services.items():
            if s.get("image", "").startswith("crvs-sync") and "environment" in s:
                argv = s["command"]
                path = check_invocation(self, argv, f"compose {name}")
                seen.add(path[0])
                env = {k: str(v) for k, v in s["environment"].items() if k != "CRVS_CONFIG"}
                env = {k: re.sub(r"\$\{[^}]*:-([^}]*)\}", r"\1", v) for k, v in env.items()}
                config = effective_config(self.toml, env)
                if path[0] in SERVER_SECTIONS:
                    assert_tls_complete(self, config, [SERVER_SECTIONS[path[0]]], f"compose {name}")
        self.assertEqual(seen, {"gateway", "sink", "registry", "court-source", "reconcile", "admin",
                                "feeds", "console"})

    def test_one_shot_crvs_commands_exist(self):
        count = 0
        for name in ("certs", "keys"):
            for argv in shell_crvs_invocations("\n".join(self.services[name]["command"])):
                check_invocation(self, argv, f"compose {name}")
                count += 1
        self.assertGreaterEqual(count, 3)

    def test_prometheus_config(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian package prometheus) is required")
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(os.path.join(self.dir, "prometheus.yml"), d)
            shutil.copytree(os.path.join(SOURCE, "deploy", "prometheus", "rules"),
                            os.path.join(d, "rules"))
            r = subprocess.run([promtool, "check", "config", os.path.join(d, "prometheus.yml")],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_docker_compose_config_when_docker_is_installed(self):
        docker = shutil.which("docker")
        if docker is None or subprocess.run([docker, "compose", "version"],
                                            capture_output=True).returncode != 0:
            self.skipTest("docker compose not installed: the YAML checks above still ran")
        r = subprocess.run([docker, "compose", "-f", os.path.join(self.dir, "compose.yaml"),
                            "config", "-q"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


class Kubernetes(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(SOURCE, "deploy", "kubernetes")
        with open(os.path.join(self.dir, "kustomization.yaml")) as f:
            self.kustomization = yaml.safe_load(f)
        self.docs = []
        for r in self.kustomization["resources"]:
            with open(os.path.join(self.dir, r)) as f:
                self.docs += [(r, d) for d in yaml.safe_load_all(f) if d]
        self.by_kind = {}
        for r, d in self.docs:
            self.assertIn("apiVersion", d, r)
            self.assertTrue(d["metadata"]["name"], r)
            self.by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
        self.toml = self.by_kind["ConfigMap"]["crvs-config"]["data"]["crvs.toml"]
        tomllib.loads(self.toml)
        self.secrets = {g["name"] for g in self.kustomization.get("secretGenerator", [])}

    def test_every_manifest_file_is_listed(self):
        files = {f for f in os.listdir(self.dir) if f.endswith(".yaml")} - {"kustomization.yaml"}
        self.assertEqual(files, set(self.kustomization["resources"]))

    def test_deployments_run_valid_configurations(self):
        deployments = self.by_kind["Deployment"]
        self.assertGreaterEqual(len(deployments), 7)
        for name, d in deployments.items():
            pod = d["spec"]["template"]["spec"]
            self.assertEqual(d["spec"]["selector"]["matchLabels"].items()
                             <= d["spec"]["template"]["metadata"]["labels"].items(), True, name)
            for v in pod.get("volumes", []):
                if "configMap" in v:
                    self.assertIn(v["configMap"]["name"], self.by_kind["ConfigMap"], name)
                if "secret" in v:
                    self.assertIn(v["secret"]["secretName"], self.secrets, name)
            for c in pod["containers"]:
                path = check_invocation(self, c["args"], f"kubernetes {name}")
                env = {}
                for e in c.get("env", []):
                    if e["name"] == "CRVS_CONFIG":
                        continue
                    if "value" in e:
                        env[e["name"]] = e["value"]
                    else:
                        ref = e["valueFrom"]["secretKeyRef"]["name"]
                        self.assertIn(ref, self.secrets, f"{name}: env {e['name']}")
                        env[e["name"]] = "postgresql://crvs:secret@db:5432/crvs"
                config = effective_config(self.toml, env)
                if path[0] in SERVER_SECTIONS:
                    assert_tls_complete(self, config, [SERVER_SECTIONS[path[0]]],
                                        f"kubernetes {name}")
                ports = {p["name"] for p in c.get("ports", [])}
                for probe in ("readinessProbe", "livenessProbe"):
                    self.assertIn(c[probe]["httpGet"]["port"], ports, f"{name} {probe}")

    def test_services_and_autoscalers_point_at_deployments(self):
        deployments = self.by_kind["Deployment"]
        labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
        for name, s in self.by_kind["Service"].items():
            self.assertTrue(any(s["spec"]["selector"].items() <= l.items() for l in labels), name)
        hpas = self.by_kind["HorizontalPodAutoscaler"]
        self.assertIn("crvs-gateway", hpas)
        for name, h in hpas.items():
            self.assertIn(h["spec"]["scaleTargetRef"]["name"], deployments, name)
        # Sinks scale by partitions: never more replicas than partitions per topic.
        sink = tomllib.loads(crvs(["config", "dump"], check=True).stdout)
        self.assertLessEqual(hpas["crvs-sink"]["spec"]["maxReplicas"],
                             sink["kafka"]["embedded_partitions"])


class Systemd(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(SOURCE, "deploy", "systemd")
        with open(os.path.join(self.dir, "crvs.toml")) as f:
            self.toml = f.read()
        tomllib.loads(self.toml)

    @staticmethod
    def parse_unit(path):
        sections, current = {}, None
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line[0] in "#;":
                    continue
                if line.startswith("[") and line.endswith("]"):
                    current = sections.setdefault(line[1:-1], {})
                    continue
                if current is None or "=" not in line:
                    raise AssertionError(f"{path}:{n}: not a unit-file line: {line}")
                k, v = line.split("=", 1)
                current.setdefault(k.strip(), []).append(v.strip())
        return sections

    def test_units_parse_and_instances_are_subcommands(self):
        unit = self.parse_unit(os.path.join(self.dir, "crvs@.service"))
        exec_start = unit["Service"]["ExecStart"][0].split()
        self.assertEqual(exec_start[1], "%i")
        target = self.parse_unit(os.path.join(self.dir, "crvs.target"))
        instances = [w[len("crvs@"):-len(".service")] for w in target["Unit"]["Wants"][0].split()]
        self.assertEqual(len(instances), 8)
        for i in instances:
            check_invocation(self, [i], f"systemd crvs@{i}")

    def test_systemd_analyze_verify(self):
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze not installed: the unit parse above still ran")
        with tempfile.TemporaryDirectory() as d:
            for f in ("crvs@.service", "crvs.target"):
                with open(os.path.join(self.dir, f)) as src:
                    text = src.read().replace("/usr/local/bin/crvs", CRVS)
                with open(os.path.join(d, f), "w") as dst:
                    dst.write(text)
            os.symlink(os.path.join(d, "crvs@.service"), os.path.join(d, "crvs@gateway.service"))
            r = subprocess.run([analyze, "verify", "--man=no",
                                os.path.join(d, "crvs@gateway.service")],
                               capture_output=True, text=True)
            problems = [l for l in (r.stdout + r.stderr).splitlines()
                        if "crvs" in l and "not found" not in l.lower()
                        and "user" not in l.lower() and "documentation" not in l.lower()]
            self.assertEqual(problems, [], r.stdout + r.stderr)

    def test_env_files_with_the_shared_file_are_valid(self):
        files = sorted(os.listdir(os.path.join(self.dir, "env")))
        self.assertTrue(files)
        for f in files:
            env = {}
            with open(os.path.join(self.dir, "env", f)) as src:
                for line in src:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        k, v = line.split("=", 1)
                        env[k] = v
            name = f[:-len(".env")]
            check_invocation(self, [name], f"systemd env/{f}")
            config = effective_config(self.toml, env)
            if name in SERVER_SECTIONS:
                assert_tls_complete(self, config, [SERVER_SECTIONS[name]], f"systemd env/{f}")


class Dockerfile(unittest.TestCase):
    def test_runtime_packages_cover_what_the_binary_links(self):
        with open(os.path.join(SOURCE, "deploy", "docker", "Dockerfile")) as f:
            text = f.read()
        self.assertIn("scripts/install-deps.sh --build-only", text)
        ldd = subprocess.run(["ldd", CRVS], capture_output=True, text=True, check=True).stdout
        for lib in ("libgrpc++", "librdkafka", "libpq", "libsqlite3", "libprotobuf", "libspdlog",
                    "libcpp-httplib", "libprometheus-cpp-core"):
            if lib in ldd:
                self.assertRegex(text, re.escape(lib) + r"[-0-9.]", f"{lib} missing from the image")


if __name__ == "__main__":
    CRVS, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
