#!/usr/bin/env python3
"""The Python half of scripts/check-deploy.sh: checks that need to parse manifests.

Each subcommand prints one line per finding and exits non-zero when something is wrong;
check-deploy.sh turns that into its PASS/FAIL line. Runs in .cache/deploy-venv (PyYAML,
kubernetes-validate).

  k8s-schema RENDERED.yaml VERSION...      every object against the Kubernetes schemas
  k8s-refs RENDERED.yaml BASE.yaml         cross-references and the security baseline
  services REPO BASE.yaml                  every service on main is in every deploy file
  rules-policy ALERTS.yml                  every alert has a severity and a summary
  dashboards REPO OUT_RULES.yml            dashboards parse; their PromQL -> a rule file
  k8s-prom-config IN.yml OUT.yml           swap kubernetes_sd_configs for promtool
  metrics REPO SCRAPE_DIR [--allow-missing SERVICE]...
                                           metric names used vs. names really exported
  metric-docs REPO                         moji_<service>_* names used are in docs/<service>.md
                                           (moji_course_*: docs/date-courses.md)
  docs REPO                                deploy/README.md describes every panel and alert
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

# ---------------------------------------------------------------------------------------------
# Kubernetes


def load_docs(path: str) -> list[dict]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def kn(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def is_builtin(api_version: str) -> bool:
    """Core groups ("v1"), unqualified groups (apps, batch, policy, autoscaling) and *.k8s.io
    are Kubernetes' own; anything else comes from a CustomResourceDefinition."""
    if "/" not in api_version:
        return True
    group = api_version.split("/", 1)[0]
    return "." not in group or group.endswith(".k8s.io")


def cmd_k8s_schema(rendered: str, *versions: str) -> int:
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError

    failures = 0
    docs = load_docs(rendered)
    skipped = sorted({kn(d) for d in docs if not is_builtin(d.get("apiVersion", ""))})
    for version in versions:
        for doc in docs:
            if not is_builtin(doc.get("apiVersion", "")):
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                failures += 1
                where = ".".join(str(p) for p in e.path) or "(top)"
                print(f"  {kn(doc)} (k8s {version}): {where}: {e.message}")
            except SchemaNotFoundError:
                # A built-in group with no schema is a typo or a removed API, not a CRD.
                failures += 1
                print(f"  {kn(doc)} (k8s {version}): no schema for {doc.get('apiVersion')} {doc.get('kind')}")
    checked = sum(1 for d in docs if is_builtin(d.get("apiVersion", "")))
    print(f"  {checked} objects x k8s {', '.join(versions)} (strict: unknown fields rejected)")
    if skipped:
        print(f"  not schema-checked (CRDs, no schema offline): {', '.join(skipped)}")
    return 1 if failures else 0


def labels_match(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pod_template(obj: dict) -> dict | None:
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return obj["spec"]["template"]
    return None


MOJI_WORKLOADS = {"Deployment", "Job"}  # the kinds our own image runs as

# Kinds without a namespace. Every other rendered object must carry one: without it
# `kubectl apply -k` puts it in the context's namespace (the base sets `moji` on its own
# objects only; an overlay must set it again for what it and its components add).
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "IngressClass", "PriorityClass"}

# Our Deployments that do not run the Rust image: the static web client (nginx serving
# services/web/dist, deploy/Dockerfile --target web, config deploy/nginx/web.conf). Named here,
# one by one, so they keep the same pod baseline as the services; they have no /metrics, so
# they must not ask Prometheus to scrape them, and the services check does not expect a scrape
# job or a MojiServiceAbsent rule for them. Value: what their image stage must copy in.
STATIC_FRONTENDS = {"web": ("services/web/dist", "deploy/nginx/web.conf")}

# The public paths each service answers, as the edge routes them (deploy/nginx/
# moji.conf.template, tested by deploy/nginx/test_edge.py): the Ingress objects of k8s/base must
# send each one to that service's Service. WebSocket paths must also keep a socket open longer
# than ingress-nginx's default 60 s read/send timeouts.
INGRESS_ROUTES = {
    "api": ["/api/v1", "/docs", "/api-docs"],
    "chat": ["/api/v1/chat", "/api/v1/chat/ws"],
    # Regexes (the moji-recommend Ingress turns on use-regex): see INGRESS_CASES.
    "recommend": [
        "/api/v1/recommend/",
        "/api/v1/search$",
        "/api/v1/products/recommend$",
        "/api/v1/(posts|products)/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/similar$",
    ],
}
WEBSOCKET_PATHS = {"/api/v1/chat/ws"}
WEBSOCKET_MIN_TIMEOUT = 600  # seconds; the chat service pings every 20 s
# Prefixes of the api's server-sent event streams (/api/v1/<...>/tasks/{id}/events), which the
# edge serves unbuffered with a 1 h read timeout: in k8s/base an Ingress path of their own to
# the api with proxy buffering off and a read timeout of at least SSE_MIN_TIMEOUT.
SSE_PREFIXES = {"/api/v1/faces/tasks/", "/api/v1/date-courses/tasks/", "/api/v1/datasets/"}
SSE_MIN_TIMEOUT = 600  # seconds; the api sends a comment every 15 s, a task lasts minutes

# Where a request path must land once the Ingress objects of k8s/base are in ingress-nginx:
# (path, Service). The same table as deploy/nginx/test_edge.py's for the local edge, except
# where ingress-nginx's regex mode (any Ingress with use-regex turns every path of the host
# into a case-insensitive prefix regex) differs from it; those rows say so.
UUID = "01935c4e-7a1b-7c3d-9e2f-0123456789ab"
INGRESS_CASES = [
    ("/", "web"),
    ("/some/client/route", "web"),
    ("/healthz", "web"),
    ("/docs/", "api"),
    ("/api-docs/openapi.json", "api"),
    ("/api/v1/users/me", "api"),
    ("/api/v1/faces/tasks", "api"),
    ("/api/v1/faces/tasks/0190/events", "api"),
    # Date courses (docs/date-courses.md) are the api's, every route of them; recommend only
    # consumes their tasks from RabbitMQ.
    ("/api/v1/date-courses", "api"),
    ("/api/v1/date-courses?cursor=abc&size=20", "api"),
    ("/api/v1/date-courses/quota", "api"),
    (f"/api/v1/date-courses/{UUID}", "api"),
    (f"/api/v1/date-courses/tasks/{UUID}", "api"),
    (f"/api/v1/date-courses/tasks/{UUID}/events", "api"),
    # The dataset maker and its market are the api's.
    ("/api/v1/datasets", "api"),
    ("/api/v1/datasets?q=cat&sort=price", "api"),
    (f"/api/v1/datasets/{UUID}", "api"),
    (f"/api/v1/datasets/{UUID}/events", "api"),
    (f"/api/v1/datasets/{UUID}/orders", "api"),
    ("/api/v1/payments/callback", "api"),
    ("/api/v1/chat/rooms", "chat"),
    ("/api/v1/chat/ws", "chat"),
    ("/api/v1/chat", "chat"),
    ("/api/v1/chatter", "chat"),  # regex mode: the edge sends this to the api (both 404 it)
    ("/api/v1/recommend/posts", "recommend"),
    ("/api/v1/recommend/events/views", "recommend"),
    ("/api/v1/recommend/openapi.json", "recommend"),
    ("/api/v1/recommend", "api"),  # the edge redirects it to /api/v1/recommend/ (301)
    ("/api/v1/search", "recommend"),
    ("/api/v1/searches", "api"),
    ("/api/v1/products/recommend", "recommend"),
    ("/api/v1/products/recommendations", "api"),
    (f"/api/v1/products/{UUID}/similar", "recommend"),
    (f"/api/v1/posts/{UUID}/similar", "recommend"),
    (f"/api/v1/posts/{UUID.upper()}/similar", "recommend"),
    (f"/api/v1/products/{UUID}", "api"),
    ("/api/v1/products", "api"),
    (f"/api/v1/posts/{UUID}", "api"),
    (f"/api/v1/posts/{UUID}/comments", "api"),
    (f"/api/v1/posts/{UUID}/like", "api"),
    (f"/api/v1/posts/{UUID}/similar/more", "api"),
    (f"/api/v1/posts/{UUID}/similarity", "api"),
    (f"/api/v1/emojis/{UUID}/similar", "api"),
    ("/api/v1/posts/latest/similar", "api"),
    ("/api/v1/products/latest/similar", "api"),
]

# Crates under services/ that are not deployed: `moji` runs the real services in one process
# for local use (scripts/lib/live-checks.sh exercises it); production runs them separately.
LOCAL_ONLY = {"moji"}


def cmd_k8s_refs(rendered: str, base: str) -> int:
    docs = load_docs(rendered)
    problems: list[str] = []
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    workloads = [d for d in docs if pod_template(d)]
    secrets = {
        name: set((s.get("data") or {}) | (s.get("stringData") or {}))
        for name, s in by_kind.get("Secret", {}).items()
    }
    # The prod overlay drops the Secret template (the real one is created out of band): its
    # keys, from the base, are the contract the references must keep to.
    base_secrets = {
        d["metadata"]["name"]: set((d.get("data") or {}) | (d.get("stringData") or {}))
        for d in load_docs(base)
        if d["kind"] == "Secret"
    }
    external = {"moji-tls"}  # issued by cert-manager or by hand, never rendered
    optional_refs: set[str] = set()

    def secret_keys(name: str) -> set[str] | None:
        return secrets.get(name, base_secrets.get(name))

    for d in docs:
        if d["kind"] not in CLUSTER_SCOPED and not d["metadata"].get("namespace"):
            problems.append(f"{kn(d)} has no namespace (set `namespace:` in the overlay that adds it)")

    def ports_of(workload: dict) -> set:
        names = set()
        for c in pod_template(workload)["spec"]["containers"]:
            for p in c.get("ports", []):
                names.add(p.get("name"))
                names.add(p["containerPort"])
        return names

    def selected(selector: dict) -> list[dict]:
        return [w for w in workloads if labels_match(selector, pod_template(w)["metadata"].get("labels", {}))]

    # Services select pods and name ports those pods have.
    for name, svc in by_kind.get("Service", {}).items():
        targets = selected({"matchLabels": svc["spec"].get("selector", {})})
        if not targets:
            problems.append(f"Service/{name} selects no pods")
        for port in svc["spec"]["ports"]:
            tp = port.get("targetPort", port["port"])
            if targets and not any(tp in ports_of(w) for w in targets):
                problems.append(f"Service/{name} targetPort {tp!r} is not a port of its pods")

    # Ingress backends exist, with the named port.
    for name, ing in by_kind.get("Ingress", {}).items():
        for rule in ing["spec"].get("rules", []):
            for path in rule["http"]["paths"]:
                svc_ref = path["backend"]["service"]
                svc = by_kind.get("Service", {}).get(svc_ref["name"])
                if not svc:
                    problems.append(f"Ingress/{name} {path['path']} -> missing Service/{svc_ref['name']}")
                    continue
                port = svc_ref["port"].get("name", svc_ref["port"].get("number"))
                if not any(port in (p.get("name"), p["port"]) for p in svc["spec"]["ports"]):
                    problems.append(f"Ingress/{name} {path['path']} -> Service/{svc_ref['name']} has no port {port!r}")
        for tls in ing["spec"].get("tls", []):
            if tls.get("secretName") not in secrets and tls.get("secretName") not in external:
                problems.append(f"Ingress/{name} TLS secret {tls.get('secretName')} is unknown")

    # PDBs, HPAs and KEDA ScaledObjects point at something.
    for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
        if not selected(pdb["spec"]["selector"]):
            problems.append(f"PodDisruptionBudget/{name} selects no pods")
    for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
        ref = hpa["spec"]["scaleTargetRef"]
        if ref["name"] not in by_kind.get(ref["kind"], {}):
            problems.append(f"HorizontalPodAutoscaler/{name} targets missing {ref['kind']}/{ref['name']}")
    for name, so in by_kind.get("ScaledObject", {}).items():
        ref = so["spec"]["scaleTargetRef"]
        if ref["name"] not in by_kind.get(ref.get("kind", "Deployment"), {}):
            problems.append(f"ScaledObject/{name} targets missing Deployment/{ref['name']}")
        if ref["name"] in by_kind.get("HorizontalPodAutoscaler", {}):
            problems.append(f"ScaledObject/{name}: Deployment/{ref['name']} also has an HPA (they would fight)")
        if "replicas" in by_kind.get("Deployment", {}).get(ref["name"], {}).get("spec", {}):
            problems.append(f"ScaledObject/{name}: Deployment/{ref['name']} still sets replicas (apply would reset KEDA)")
        for trig in so["spec"]["triggers"]:
            auth = (trig.get("authenticationRef") or {}).get("name")
            if auth and auth not in by_kind.get("TriggerAuthentication", {}):
                problems.append(f"ScaledObject/{name} uses missing TriggerAuthentication/{auth}")
    for name, ta in by_kind.get("TriggerAuthentication", {}).items():
        for ref in ta["spec"].get("secretTargetRef", []):
            keys = secret_keys(ref["name"])
            if keys is None or ref["key"] not in keys:
                problems.append(f"TriggerAuthentication/{name} needs Secret/{ref['name']} key {ref['key']}")

    # Pods: ConfigMaps and Secret keys they read exist; our own workloads keep the baseline.
    for w in workloads:
        spec = pod_template(w)["spec"]
        for c in spec["containers"]:
            for src in c.get("envFrom", []):
                if "configMapRef" in src and src["configMapRef"]["name"] not in by_kind.get("ConfigMap", {}):
                    problems.append(f"{kn(w)} reads missing ConfigMap/{src['configMapRef']['name']}")
                if "secretRef" in src and secret_keys(src["secretRef"]["name"]) is None:
                    problems.append(f"{kn(w)} reads missing Secret/{src['secretRef']['name']}")
            for env in c.get("env", []):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    keys = secret_keys(ref["name"])
                    if ref.get("optional") is True and keys is None:
                        # Created out of band when the feature is used (recommend's OpenAI key).
                        optional_refs.add(f"{kn(w)} env {env['name']} <- Secret/{ref['name']} key {ref['key']}")
                    elif keys is None or ref["key"] not in keys:
                        problems.append(f"{kn(w)} env {env['name']} needs Secret/{ref['name']} key {ref['key']}")
            image = c.get("image", "")
            tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
            if not tagged or image.endswith(":latest"):
                problems.append(f"{kn(w)} container {c['name']}: image {image!r} is not pinned to a tag")
        for v in spec.get("volumes", []):
            if "configMap" in v and v["configMap"]["name"] not in by_kind.get("ConfigMap", {}):
                problems.append(f"{kn(w)} mounts missing ConfigMap/{v['configMap']['name']}")

        labels = pod_template(w)["metadata"].get("labels", {})
        rust_service = w["kind"] in MOJI_WORKLOADS and any(
            (c.get("command") or [""])[0].startswith("moji-") for c in spec["containers"]
        )
        static_frontend = w["kind"] == "Deployment" and w["metadata"]["name"] in STATIC_FRONTENDS
        if not (rust_service or static_frontend):
            continue
        if static_frontend:
            annotations = pod_template(w)["metadata"].get("annotations") or {}
            if any(k.startswith("prometheus.io/") for k in annotations):
                problems.append(f"{kn(w)}: a static front end has no /metrics; drop the prometheus.io annotations")
        # The baseline every Moji pod keeps (the issue's "non-root read-only").
        psc = spec.get("securityContext", {})
        if not psc.get("runAsNonRoot"):
            problems.append(f"{kn(w)}: pod securityContext.runAsNonRoot is not true")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{kn(w)}: automountServiceAccountToken is not false")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            if not sc.get("readOnlyRootFilesystem"):
                problems.append(f"{kn(w)}/{c['name']}: readOnlyRootFilesystem is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{kn(w)}/{c['name']}: allowPrivilegeEscalation is not false")
            if "ALL" not in (sc.get("capabilities") or {}).get("drop", []):
                problems.append(f"{kn(w)}/{c['name']}: capabilities are not dropped")
            res = c.get("resources", {})
            if not res.get("requests") or not (res.get("limits") or {}).get("memory"):
                problems.append(f"{kn(w)}/{c['name']}: needs resource requests and a memory limit")
            if w["kind"] == "Deployment":
                if (c.get("readinessProbe") or {}).get("httpGet", {}).get("path") != "/readyz":
                    problems.append(f"{kn(w)}/{c['name']}: readinessProbe must GET /readyz")
                if (c.get("livenessProbe") or {}).get("httpGet", {}).get("path") != "/healthz":
                    problems.append(f"{kn(w)}/{c['name']}: livenessProbe must GET /healthz")
        if w["kind"] == "Deployment":
            if not any(labels_match(p["spec"]["selector"], labels) for p in by_kind.get("PodDisruptionBudget", {}).values()):
                problems.append(f"{kn(w)} has no PodDisruptionBudget")
        own_policy = [
            p for p in by_kind.get("NetworkPolicy", {}).values()
            if p["spec"]["podSelector"] and labels_match(p["spec"]["podSelector"], labels)
        ]
        if not own_policy:
            problems.append(f"{kn(w)} has no NetworkPolicy of its own (only the namespace default)")

    for name in sorted(set(STATIC_FRONTENDS) - set(by_kind.get("Deployment", {}))):
        problems.append(f"Deployment/{name} (static front end) is missing")

    for p in problems:
        print(f"  {p}")
    for ref in sorted(optional_refs):
        print(f"  optional, not rendered (not checked): {ref}")
    print(f"  {len(docs)} objects, {len(problems)} problems")
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------------
# Every service everywhere


def ingress_locations(docs: list[dict]) -> tuple[list[tuple[str, str, str]], bool]:
    """The nginx locations ingress-nginx (controller v1.x) makes of the Ingress objects of one
    host, in the order it writes them: [(path, kind, Service)] with kind exact|prefix, and
    whether the host is in regex mode. Its steps: every path sorted by descending length
    (ties: reverse string order); then each Prefix path of an Ingress without use-regex becomes
    `path/` (prefix) followed by `path` (exact), unless an Exact one exists; `/` stays as is.
    Any Ingress with use-regex (or rewrite-target) puts the whole host in regex mode."""
    raw = []
    regex_host = False
    for d in docs:
        if d["kind"] != "Ingress":
            continue
        notes = d["metadata"].get("annotations") or {}
        use_regex = notes.get("nginx.ingress.kubernetes.io/use-regex") == "true" or bool(
            notes.get("nginx.ingress.kubernetes.io/rewrite-target")
        )
        regex_host |= use_regex
        for rule in d["spec"].get("rules", []):
            for path in rule["http"]["paths"]:
                raw.append((path["path"], path.get("pathType", "ImplementationSpecific"),
                            path["backend"]["service"]["name"], use_regex))
    raw.sort(key=lambda r: r[0], reverse=True)
    raw.sort(key=lambda r: len(r[0]), reverse=True)
    exact_paths = {r[0] for r in raw if r[1] == "Exact"}
    out = []
    for path, ptype, svc, use_regex in raw:
        if path == "/" or ptype != "Prefix" or use_regex:
            out.append((path, "exact" if ptype == "Exact" else "prefix", svc))
        else:
            out.append((path if path.endswith("/") else path + "/", "prefix", svc))
            if path not in exact_paths:  # an Exact path of its own takes that place
                out.append((path, "exact", svc))
    return out, regex_host


def ingress_route(locations: list[tuple[str, str, str]], regex_host: bool, uri: str) -> str | None:
    """The Service nginx picks for uri. Regex mode: every location is `~* "^<path>"`, the
    first match in order wins. Otherwise: an exact match, else the longest prefix."""
    if regex_host:
        for path, _, svc in locations:
            if re.match("^" + path, uri, re.IGNORECASE):
                return svc
        return None
    for path, kind, svc in locations:
        if kind == "exact" and uri == path:
            return svc
    prefixes = [(len(p), svc) for p, kind, svc in locations if kind == "prefix" and uri.startswith(p)]
    return max(prefixes)[1] if prefixes else None


def cmd_services(repo: str, base: str) -> int:
    root = Path(repo)
    services = sorted(
        p.parent.name for p in root.glob("services/*/Cargo.toml") if p.parent.name not in LOCAL_ONLY
    )
    # Services the deploy files already carry ahead of their crate landing on main.
    expected = sorted(set(services) | {"api", "chat", "inference", "recommend"})
    dockerfile = (root / "deploy/Dockerfile").read_text()
    compose = yaml.safe_load((root / "deploy/compose.yml").read_text())["services"]
    deployments = {d["metadata"]["name"] for d in load_docs(base) if d["kind"] == "Deployment"}
    jobs = {j["job_name"] for j in yaml.safe_load((root / "deploy/prometheus/prometheus.yml").read_text())["scrape_configs"]}
    alerts = (root / "deploy/prometheus/alerts.yml").read_text()
    problems = []
    for svc in expected:
        missing = []
        if f"--bin moji-{svc}" not in dockerfile:
            missing.append("deploy/Dockerfile (cargo build --bin)")
        if svc not in compose:
            missing.append("deploy/compose.yml")
        if svc not in deployments:
            missing.append("k8s/base (Deployment)")
        if svc not in jobs:
            missing.append("deploy/prometheus/prometheus.yml (scrape job)")
        if f'absent(up{{job="{svc}"}})' not in alerts:
            missing.append("deploy/prometheus/alerts.yml (MojiServiceAbsent)")
        if missing:
            problems.append(f"{svc}: missing from {', '.join(missing)}")
    # Static front ends: an image stage of their own (not the last one: the default target is
    # the services image), a Deployment, and the Ingress route the edge gives them. No scrape
    # job and no MojiServiceAbsent rule: they export no metrics.
    stage_re = re.compile(r"(?im)^FROM\s+(?:--\S+\s+)*\S+\s+AS\s+(\S+)")
    starts = list(stage_re.finditer(dockerfile))
    stages = {m.group(1): dockerfile[m.start() : (starts[i + 1].start() if i + 1 < len(starts) else None)]
              for i, m in enumerate(starts)}
    ingress_paths = {
        (path["path"], path["backend"]["service"]["name"])
        for d in load_docs(base)
        if d["kind"] == "Ingress"
        for rule in d["spec"].get("rules", [])
        for path in rule["http"]["paths"]
    }
    ingresses = [d for d in load_docs(base) if d["kind"] == "Ingress"]
    for svc, paths in sorted(INGRESS_ROUTES.items()):
        for want in paths:
            if (want, svc) not in ingress_paths:
                problems.append(f"{svc}: no Ingress path {want} -> Service {svc} in k8s/base")
    locations, regex_host = ingress_locations(ingresses)
    for uri, want in INGRESS_CASES:
        got = ingress_route(locations, regex_host, uri)
        if got != want:
            problems.append(f"Ingress routing: {uri} goes to {got or 'nothing'}, want {want}")
    for ing in ingresses:
        notes = ing["metadata"].get("annotations") or {}
        for rule in ing["spec"].get("rules", []):
            for path in rule["http"]["paths"]:
                if path["path"] not in WEBSOCKET_PATHS:
                    continue
                for key in ("proxy-read-timeout", "proxy-send-timeout"):
                    value = notes.get(f"nginx.ingress.kubernetes.io/{key}", "60")
                    if not str(value).isdigit() or int(value) < WEBSOCKET_MIN_TIMEOUT:
                        problems.append(
                            f"Ingress/{ing['metadata']['name']} {path['path']} (WebSocket): {key} {value} s "
                            f"< {WEBSOCKET_MIN_TIMEOUT} s, idle sockets would be cut"
                        )
    for prefix in sorted(SSE_PREFIXES):
        found = False
        for ing in ingresses:
            notes = ing["metadata"].get("annotations") or {}
            for rule in ing["spec"].get("rules", []):
                for path in rule["http"]["paths"]:
                    if path["path"] != prefix:
                        continue
                    found = True
                    where = f"Ingress/{ing['metadata']['name']} {prefix} (server-sent events)"
                    if path["backend"]["service"]["name"] != "api":
                        problems.append(f"{where}: goes to {path['backend']['service']['name']}, not the api")
                    if notes.get("nginx.ingress.kubernetes.io/proxy-buffering") != "off":
                        problems.append(f"{where}: proxy-buffering is not off, events would arrive late")
                    value = notes.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "60")
                    if not str(value).isdigit() or int(value) < SSE_MIN_TIMEOUT:
                        problems.append(f"{where}: proxy-read-timeout {value} s < {SSE_MIN_TIMEOUT} s")
        if not found:
            problems.append(f"no Ingress path {prefix} (server-sent events: unbuffered, long read timeout) in k8s/base")
    for fe, sources in sorted(STATIC_FRONTENDS.items()):
        missing = []
        if fe not in stages:
            missing.append(f"deploy/Dockerfile (stage {fe})")
        else:
            if starts[-1].group(1) == fe:
                problems.append(f"{fe}: deploy/Dockerfile stage {fe} is the last one; the default target must stay the services image")
            for src in sources:
                if not re.search(rf"(?m)^COPY\s+(?:--\S+\s+)*{re.escape(src)}/?\s", stages[fe]):
                    missing.append(f"deploy/Dockerfile (stage {fe}: COPY {src})")
        if fe not in deployments:
            missing.append("k8s/base (Deployment)")
        if ("/", fe) not in ingress_paths:
            missing.append(f"k8s/base Ingress (path / -> Service {fe})")
        if missing:
            problems.append(f"{fe} (static front end): missing from {', '.join(missing)}")
    for p in problems:
        print(f"  {p}")
    print(f"  services on main: {', '.join(services) or '-'}; checked: {', '.join(expected)}")
    print(f"  static front ends (no metrics): {', '.join(sorted(STATIC_FRONTENDS))}")
    print(f"  Ingress routes: {'; '.join(f'{s}: ' + ', '.join(p) for s, p in sorted(INGRESS_ROUTES.items()))}")
    print(f"  Ingress routing replayed ({'regex' if regex_host else 'plain'} mode, as ingress-nginx): "
          f"{len(INGRESS_CASES)} paths")
    print(f"  SSE prefixes (unbuffered, read timeout >= {SSE_MIN_TIMEOUT} s): {', '.join(sorted(SSE_PREFIXES))}")
    print(f"  local only (not deployed): {', '.join(sorted(LOCAL_ONLY))}")
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------------
# Prometheus and Grafana


def cmd_rules_policy(alerts_path: str) -> int:
    problems = []
    groups = yaml.safe_load(Path(alerts_path).read_text())["groups"]
    for g in groups:
        for r in g["rules"]:
            if "alert" not in r:
                continue
            if (r.get("labels") or {}).get("severity") not in ("critical", "warning"):
                problems.append(f"{r['alert']}: labels.severity must be critical or warning")
            if not (r.get("annotations") or {}).get("summary"):
                problems.append(f"{r['alert']}: needs a summary annotation")
    for p in problems:
        print(f"  {p}")
    return 1 if problems else 0


GRAFANA_VARS = [
    (re.compile(r"\$__rate_interval|\$__interval|\$\{__interval\}"), "5m"),
    (re.compile(r"\$__range"), "1h"),
    (re.compile(r"\$\{?\w+(?::\w+)?\}?"), ".*"),  # template variables sit in label matchers
]


def promql_of_dashboards(root: Path) -> list[tuple[str, str, str]]:
    """(dashboard file, panel title, expression) for every panel target."""
    out = []
    for path in sorted((root / "deploy/grafana/dashboards").glob("*.json")):
        dash = json.loads(path.read_text())
        for panel in dash.get("panels", []):
            for t in panel.get("targets", []):
                if t.get("expr"):
                    out.append((path.name, panel.get("title", "?"), t["expr"]))
    return out


def cmd_dashboards(repo: str, out_rules: str) -> int:
    root = Path(repo)
    problems = []
    prov = root / "deploy/grafana/provisioning"
    ds = yaml.safe_load((prov / "datasources/prometheus.yml").read_text())
    ds_uids = {d["uid"] for d in ds["datasources"]}
    dash_prov = yaml.safe_load((prov / "dashboards/moji.yml").read_text())
    if ds.get("apiVersion") != 1 or dash_prov.get("apiVersion") != 1:
        problems.append("provisioning files need apiVersion: 1")
    if not dash_prov.get("providers"):
        problems.append("dashboards provisioning has no provider")
    uids = {}
    files = sorted((root / "deploy/grafana/dashboards").glob("*.json"))
    if not files:
        problems.append("no dashboards in deploy/grafana/dashboards")
    for path in files:
        try:
            dash = json.loads(path.read_text())
        except ValueError as e:
            problems.append(f"{path.name}: not JSON: {e}")
            continue
        for key in ("uid", "title", "panels", "schemaVersion"):
            if key not in dash:
                problems.append(f"{path.name}: no {key}")
        if dash.get("uid") in uids:
            problems.append(f"{path.name}: uid {dash['uid']} also in {uids[dash['uid']]}")
        uids[dash.get("uid")] = path.name
        ids = set()
        for p in dash.get("panels", []):
            title = p.get("title", "?")
            if p.get("id") in ids:
                problems.append(f"{path.name}: panel id {p.get('id')} twice")
            ids.add(p.get("id"))
            if not {"x", "y", "w", "h"} <= set(p.get("gridPos", {})):
                problems.append(f"{path.name}: panel {title!r} has no complete gridPos")
            if p.get("type") == "row":
                continue
            if not p.get("description"):
                problems.append(f"{path.name}: panel {title!r} has no description")
            if (p.get("datasource") or {}).get("uid") not in ds_uids:
                problems.append(f"{path.name}: panel {title!r} uses a datasource that is not provisioned")
            if not any(t.get("expr") for t in p.get("targets", [])):
                problems.append(f"{path.name}: panel {title!r} has no query")
        for var in dash.get("templating", {}).get("list", []):
            if var.get("type") == "query" and (var.get("datasource") or {}).get("uid") not in ds_uids:
                problems.append(f"{path.name}: variable {var.get('name')} uses an unprovisioned datasource")
    # Every expression, with Grafana's variables filled in, as a recording rule: promtool then
    # parses each one as real PromQL.
    rules = []
    for i, (fname, title, expr) in enumerate(promql_of_dashboards(root)):
        for pattern, value in GRAFANA_VARS:
            expr = pattern.sub(value, expr)
        rules.append({"record": f"dashboard:expr_{i}", "expr": expr, "labels": {"panel": f"{fname}: {title}"}})
    Path(out_rules).write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, sort_keys=False))
    for p in problems:
        print(f"  {p}")
    print(f"  {len(files)} dashboards, {len(rules)} queries")
    return 1 if problems else 0


def cmd_k8s_prom_config(src: str, dst: str) -> int:
    """Debian's promtool is built without Kubernetes discovery: swap each kubernetes_sd_configs
    for an empty static_configs so the rest of the file (relabelling, params) is still checked."""
    cfg = yaml.safe_load(Path(src).read_text())
    swapped = 0
    for job in cfg.get("scrape_configs", []):
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["static_configs"] = [{"targets": []}]
            swapped += 1
    Path(dst).write_text(yaml.safe_dump(cfg, sort_keys=False))
    print(f"  {swapped} kubernetes_sd_configs blocks not checked (Debian's promtool lacks them)")
    return 0


# ---------------------------------------------------------------------------------------------
# Metric names: used vs. exported

NAME = re.compile(r"\b((?:moji|rabbitmq)_[a-zA-Z0-9_]+)\b")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}

# Who must export a name. Everything else is an HTTP or AMQP-client metric that any Moji
# service exports (moji-telemetry, moji-mq), so it must appear in at least one scrape.
OWNERS = [
    (re.compile(r"^rabbitmq_"), "rabbitmq"),
    (re.compile(r"^moji_(inference|tasks?)_"), "inference"),
    (re.compile(r"^moji_chat_"), "chat"),
    (re.compile(r"^moji_recommend_"), "recommend"),
    # The date-course worker runs inside recommend (docs/date-courses.md).
    (re.compile(r"^moji_course_"), "recommend"),
    # Only a consumer counts deliveries; the inference workers are the main one.
    (re.compile(r"^moji_amqp_consumed_total$"), "inference"),
]


# Services whose deploy files came before their crate (issue 14's recommend): their scrape is
# required only once services/<name> exists.
AHEAD_OF_CRATE = {"recommend"}

# Metric families whose alerts and panels came before the code that exports them: name prefix
# -> (file, text in it that says the code is in the tree, what that code is). Until it is, the
# names are skipped (metric-docs still holds them to their contract). The date-course worker
# is in recommend once recommend links moji-llm, which only that worker needs.
AHEAD_OF_CODE = {
    "moji_course_": ("services/recommend/Cargo.toml", "moji-llm", "the date-course worker (recommend + moji-llm)"),
}

# Contracts of metric families not named after a service (metric-docs): prefix -> doc.
METRIC_DOCS = {"moji_course_": "docs/date-courses.md"}


def code_missing(root: Path, name: str) -> str | None:
    """What is not in the tree yet that would export `name`, if anything."""
    for prefix, (path, marker, what) in AHEAD_OF_CODE.items():
        if name.startswith(prefix):
            f = root / path
            if not f.exists() or marker not in f.read_text():
                return f"{what} not in this tree ({path} has no {marker})"
    return None


def owner_of(name: str) -> str:
    for pattern, owner in OWNERS:
        if pattern.search(name):
            return owner
    return "any"


def names_used(root: Path) -> dict[str, set[str]]:
    """metric name -> where it is used (alert names, dashboard panels)."""
    used: dict[str, set[str]] = {}

    def add(expr: str, where: str) -> None:
        for name in NAME.findall(QUOTED.sub('""', expr)):
            used.setdefault(name, set()).add(where)

    for g in yaml.safe_load((root / "deploy/prometheus/alerts.yml").read_text())["groups"]:
        for r in g["rules"]:
            add(r["expr"], f"alert {r.get('alert') or r.get('record')}")
    for fname, title, expr in promql_of_dashboards(root):
        add(expr, f"{fname}: {title}")
    for path in sorted((root / "deploy/grafana/dashboards").glob("*.json")):
        for var in json.loads(path.read_text()).get("templating", {}).get("list", []):
            q = var.get("query")
            add(q.get("query", "") if isinstance(q, dict) else str(q or ""), f"{path.name}: ${var.get('name')}")
    return used


def exported(scrape: str) -> set[str]:
    """Every series name a scrape can be queried by: sample names, and for histograms and
    summaries declared by # TYPE, the family name and its suffixed series."""
    names = set()
    for line in scrape.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) >= 4:
                names.add(parts[2])
                names.update(parts[2] + s for s in SUFFIXES.get(parts[3], ()))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, 1)[0])
    return names


def base_name(name: str) -> str:
    for s in ("_bucket", "_sum", "_count"):
        if name.endswith(s):
            return name[: -len(s)]
    return name


def cmd_metrics(repo: str, scrape_dir: str, *args: str) -> int:
    allow_missing = {args[i + 1] for i, a in enumerate(args) if a == "--allow-missing" and i + 1 < len(args)}
    root = Path(repo)
    scrapes = {p.stem: exported(p.read_text()) for p in sorted(Path(scrape_dir).glob("*.prom")) if p.stat().st_size}
    moji_scrapes = {k: v for k, v in scrapes.items() if k != "rabbitmq"}
    used = names_used(root)
    failures = 0
    print(f"  scrapes: {', '.join(f'{k} ({len(v)} names)' for k, v in scrapes.items()) or 'none'}")
    # A service the deploy files carry ahead of its crate is not required until the crate is
    # in the tree; its own names are skipped meanwhile (metric-docs holds them to its docs).
    ahead = {svc for svc in AHEAD_OF_CRATE if not (root / "services" / svc / "Cargo.toml").exists()}
    for svc in sorted(ahead - set(scrapes)):
        allow_missing.add(svc)
        print(f"  {svc}: not in this tree (services/{svc} missing): its names are skipped")
    for svc in sorted({"api", "chat", "inference", "rabbitmq", "recommend"} - set(scrapes) - ahead):
        state = "allowed missing" if svc in allow_missing else "NOT SCRAPED"
        failures += svc not in allow_missing
        print(f"  {svc}: {state}")
    for name in sorted(used, key=base_name):
        owner = owner_of(name)
        pool = moji_scrapes if owner == "any" else {owner: scrapes[owner]} if owner in scrapes else {}
        found = sorted(k for k, v in pool.items() if name in v)
        missing_code = code_missing(root, name)
        if found:
            print(f"  ok      {name} ({', '.join(found)})")
        elif missing_code:
            print(f"  skip    {name}: {missing_code}")
        elif owner != "any" and owner not in scrapes and owner in allow_missing:
            why = f"services/{owner} not in this tree" if owner in ahead else f"--allow-missing {owner}"
            print(f"  skip    {name}: {owner} not scraped ({why})")
        else:
            failures += 1
            where = "; ".join(sorted(used[name])[:3])
            print(f"  MISSING {name}: used by {where}, exported by no {owner if owner != 'any' else 'Moji service'} scrape")
    return 1 if failures else 0


def cmd_metric_docs(repo: str) -> int:
    """Every moji_<service>_* name an alert or dashboard uses is one the service's contract
    (docs/<service>.md) names: a static check, so it holds before the service runs or even
    exists on a branch, where the metrics check can only compare with real scrapes."""
    root = Path(repo)
    problems = []
    checked = 0
    contracts = [(f"moji_{doc.stem}_", doc) for doc in sorted((root / "docs").glob("*.md"))]
    contracts += [(prefix, root / doc) for prefix, doc in sorted(METRIC_DOCS.items())]
    for prefix, doc in contracts:
        text = doc.read_text()
        for name in sorted(n for n in names_used(root) if n.startswith(prefix)):
            checked += 1
            if not re.search(rf"`{re.escape(base_name(name))}(?:\{{[^`]*)?`", text):
                where = "; ".join(sorted(names_used(root)[name])[:3])
                problems.append(f"{name}: used by {where}, not in docs/{doc.name}")
    for p in problems:
        print(f"  {p}")
    print(f"  {checked} service metric names checked against docs/<service>.md and {', '.join(sorted(set(METRIC_DOCS.values())))}")
    return 1 if problems else 0


# ---------------------------------------------------------------------------------------------
# Docs


def cmd_docs(repo: str) -> int:
    root = Path(repo)
    readme = (root / "deploy/README.md").read_text()
    missing = []
    for path in sorted((root / "deploy/grafana/dashboards").glob("*.json")):
        dash = json.loads(path.read_text())
        if dash["title"] not in readme:
            missing.append(f"dashboard {dash['title']!r}")
        for p in dash["panels"]:
            if p.get("type") != "row" and f"**{p['title']}**" not in readme:
                missing.append(f"panel **{p['title']}** ({path.name})")
    for g in yaml.safe_load((root / "deploy/prometheus/alerts.yml").read_text())["groups"]:
        for r in g["rules"]:
            if r.get("alert") and f"`{r['alert']}`" not in readme:
                missing.append(f"alert `{r['alert']}`")
    for m in sorted(set(missing)):
        print(f"  deploy/README.md does not describe {m}")
    return 1 if missing else 0


COMMANDS = {
    "k8s-schema": cmd_k8s_schema,
    "k8s-refs": cmd_k8s_refs,
    "services": cmd_services,
    "rules-policy": cmd_rules_policy,
    "dashboards": cmd_dashboards,
    "k8s-prom-config": cmd_k8s_prom_config,
    "metrics": cmd_metrics,
    "metric-docs": cmd_metric_docs,
    "docs": cmd_docs,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
