#!/usr/bin/env bash
# Validates everything under deploy/ and k8s/: one PASS/FAIL/SKIP line per check, exit status 1
# when any check failed. Tools are installed on first use (pinned) and reused afterwards.
#
#   scripts/check-deploy.sh [--metrics-from DIR] [--allow-missing SERVICE]... [--only CHECK]...
#   scripts/check-deploy.sh --static [--only CHECK]...
#
#   --metrics-from DIR      DIR holds <service>.prom, the /metrics output of each running
#                           service (api.prom, chat.prom, recommend.prom, inference.prom,
#                           optionally rabbitmq.prom), as scripts/lib/live-checks.sh writes
#                           them. Without it, the services on this machine are scraped
#                           (127.0.0.1: api 8081, chat 8082, recommend 8083, inference 8084;
#                           RabbitMQ 15692). Scrape after the services have done some work: a
#                           labelled metric is only exported once it has a value.
#   --allow-missing SVC     a missing scrape of SVC (api, chat, recommend, inference, rabbitmq)
#                           is reported but does not fail; metrics only SVC exports are then
#                           skipped. (recommend is not required while services/recommend is
#                           not in the tree.)
#   --only CHECK            run only the named check(s) (see the list below); repeatable.
#   --static                every check but `courses-live` and `metrics`: files and tools
#                           only, nothing needs to run (a branch whose services are not built
#                           or not started).
#
# Checks: tools, edge-config, edge, edge-private, proto-fixtures, dockerfile, compose,
# k8s-{dev,prod,prod-optional}-{render,schema,refs}, services, prom-config, prom-rules,
# prom-rules-test, grafana, docs, metric-docs, courses-live, metrics. Every check but
# `courses-live` and `metrics` is static. courses-live runs scripts/lib/courses_live.py
# through the edge of the stack running on this machine (scripts/run.sh: edge
# MOJI_HTTP__EDGE_PORT, default 8080), and is skipped when none runs.
# Environment: MOJI_K8S_VERSIONS (default "1.32.0 1.37.0": the oldest Kubernetes we support and
# the newest the pinned kubernetes-validate knows).
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/deploy-tools.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/deploy-tools.sh"
DEPLOY_LOG_TAG=check-deploy

metrics_from=""
allow_missing=()
only=()
static=0
while (($#)); do
    case "$1" in
        --metrics-from) metrics_from="${2:?--metrics-from needs a directory}"; shift 2 ;;
        --allow-missing) allow_missing+=("${2:?--allow-missing needs a service}"); shift 2 ;;
        --only) only+=("${2:?--only needs a check name}"); shift 2 ;;
        --static) static=1; shift ;;
        -h | --help) sed -n '2,31p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

k8s_versions="${MOJI_K8S_VERSIONS:-1.32.0 1.37.0}"
work="$MOJI_CACHE/deploy-check"
rm -rf "$work"
mkdir -p "$work/logs" "$work/k8s" "$work/metrics" "$work/prom"
py="$DEPLOY_VENV/bin/python"
checks="$MOJI_REPO/scripts/lib/deploy_checks.py"
passed=0 failed=0 skipped=0
failed_names=()
started_all=$SECONDS

wanted() {
    ((static)) && [[ "$1" == metrics || "$1" == courses-live ]] && return 1
    ((${#only[@]} == 0)) && return 0
    local o
    for o in "${only[@]}"; do [[ "$1" == "$o" || "$1" == "$o"-* ]] && return 0; done
    return 1
}

# check NAME DESCRIPTION COMMAND...: runs COMMAND, output to logs/NAME.log; exit 0 = PASS,
# 77 = SKIP, anything else = FAIL (with the log shown).
check() {
    local name="$1" what="$2"
    shift 2
    wanted "$name" || return 0
    local log="$work/logs/$name.log" t0=$SECONDS rc
    "$@" >"$log" 2>&1
    rc=$?
    local took=$((SECONDS - t0))
    if ((rc == 0)); then
        passed=$((passed + 1))
        printf 'PASS %-18s %s (%ss)\n' "$name" "$what" "$took"
    elif ((rc == 77)); then
        skipped=$((skipped + 1))
        printf 'SKIP %-18s %s: %s\n' "$name" "$what" "$(tail -n 1 "$log")"
        return 0
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        printf 'FAIL %-18s %s (%ss)\n' "$name" "$what" "$took"
        sed 's/^/     | /' "$log" | tail -n 40
    fi
    # Detail lines the checks print for the record (CRDs skipped, counts) follow a PASS too.
    if ((rc == 0)) && grep -q '^  ' "$log"; then
        grep '^  ' "$log" | grep -E 'not schema-checked|not checked|objects x|queries|scrapes:|skip ' | sed 's/^  /     - /'
    fi
    return 0
}

# ---- tools ----------------------------------------------------------------------------------
tools() {
    local ok=0
    apt_ensure nginx nginx || ok=1
    apt_ensure envsubst gettext-base || ok=1
    # Debian's prometheus package brings promtool; its own service is not started.
    apt_ensure promtool prometheus || ok=1
    deploy_venv || ok=1
    if ! command -v kubectl >/dev/null; then
        # Debian's kubernetes-client is 1.20, whose kustomize predates components and labels.
        echo "kubectl (>= 1.27, for kustomize v5) is not installed"
        ok=1
    fi
    nginx -v 2>&1
    promtool --version 2>&1 | head -n 1
    kubectl version --client 2>&1 | head -n 2
    "$DEPLOY_VENV/bin/hadolint" --version
    "$py" -c 'import kubernetes_validate; print("kubernetes-validate", kubernetes_validate.__version__)'
    return $ok
}

# ---- edge -----------------------------------------------------------------------------------
edge_config() {
    local rc=0
    MOJI_EDGE_DIR="$work/nginx" "$MOJI_REPO/scripts/edge.sh" render >/dev/null &&
        nginx -t -p "$work/nginx/" -c "$work/nginx/conf/nginx.conf" -e "$work/nginx/logs/error.log" || rc=1
    # As root, render also made the workers' directory outside the repository: remove it.
    MOJI_EDGE_DIR="$work/nginx" "$MOJI_REPO/scripts/edge.sh" stop >/dev/null 2>&1
    return $rc
}

# ---- wire contracts -------------------------------------------------------------------------
# Every example message in proto/fixtures/ is valid under its schema in proto/schemas/
# (`<type>.v<n>[.<variant>].json` -> `<type>.v<n>.json`). The Rust types read and write the same
# fixtures in crates/common/tests/fixtures.rs.
proto_fixtures() {
    local fixture name schema ok=0
    for fixture in "$MOJI_REPO"/proto/fixtures/*.json; do
        name="$(basename "$fixture" .json)"
        schema="$MOJI_REPO/proto/schemas/$(echo "$name" | sed -E 's/^(.*\.v[0-9]+)(\..*)?$/\1/').json"
        if [ ! -f "$schema" ]; then
            echo "$name: no schema $(basename "$schema")"
            ok=1
            continue
        fi
        "$DEPLOY_VENV/bin/check-jsonschema" --schemafile "$schema" "$fixture" || ok=1
    done
    return $ok
}

# ---- image and compose ----------------------------------------------------------------------
dockerfile() {
    "$DEPLOY_VENV/bin/hadolint" --failure-threshold info "$MOJI_REPO/deploy/Dockerfile"
}

compose() {
    (cd "$MOJI_REPO/deploy" &&
        "$DEPLOY_VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yml) || return 1
    # Files compose mounts and builds from must exist (the schema cannot know).
    "$py" - "$MOJI_REPO/deploy" <<'PY'
import sys, yaml
from pathlib import Path
deploy = Path(sys.argv[1])
doc = yaml.safe_load((deploy / "compose.yml").read_text())
bad = []
for name, svc in doc["services"].items():
    for vol in svc.get("volumes", []):
        src = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
        if src.startswith((".", "/")) and not (deploy / src).exists():
            bad.append(f"{name}: mounts missing {src}")
    build = svc.get("build")
    if isinstance(build, dict):
        ctx = deploy / build.get("context", ".")
        if not (ctx / build.get("dockerfile", "Dockerfile")).exists():
            bad.append(f"{name}: no {build.get('dockerfile')} in {build.get('context')}")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
}

# ---- Kubernetes -----------------------------------------------------------------------------
render() { # render NAME DIR (relative to the repository, or absolute)
    local dir="$2"
    [[ "$dir" == /* ]] || dir="$MOJI_REPO/$dir"
    kubectl kustomize "$dir" >"$work/k8s/$1.yaml"
}
# The prod overlay with the optional components it does not include (their objects are only
# checked when something renders them): courses-openai (date courses written by an
# OpenAI-compatible endpoint, its egress NetworkPolicy), as if listed in prod's `components`
# (hence prod's namespace). Kustomize takes only relative paths.
prod_optional_overlay() {
    local dir="$work/k8s/prod-optional" rel
    mkdir -p "$dir"
    rel="$(realpath --relative-to="$dir" "$MOJI_REPO/k8s")"
    cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: moji
resources:
  - $rel/overlays/prod
components:
  - $rel/components/courses-openai
EOF
    echo "$dir"
}
needs_render() { # needs_render NAME: fail fast when the render failed
    [[ -s "$work/k8s/$1.yaml" ]] || {
        echo "no render of $1 (see the k8s-$1-render check)"
        return 1
    }
}
k8s_schema() {
    needs_render "$1" || return 1
    # shellcheck disable=SC2086 # the versions are a list
    "$py" "$checks" k8s-schema "$work/k8s/$1.yaml" $k8s_versions
}
k8s_refs() {
    needs_render "$1" && needs_render base || return 1
    "$py" "$checks" k8s-refs "$work/k8s/$1.yaml" "$work/k8s/base.yaml"
}

# ---- Prometheus and Grafana -----------------------------------------------------------------
prom_config() {
    promtool check config "$MOJI_REPO/deploy/prometheus/prometheus.yml" || return 1
    cp "$MOJI_REPO/deploy/prometheus/alerts.yml" "$work/prom/alerts.yml"
    "$py" "$checks" k8s-prom-config "$MOJI_REPO/deploy/prometheus/prometheus.k8s.yml" \
        "$work/prom/prometheus.k8s.yml" &&
        promtool check config "$work/prom/prometheus.k8s.yml"
}
prom_rules() {
    promtool check rules "$MOJI_REPO/deploy/prometheus/alerts.yml" &&
        "$py" "$checks" rules-policy "$MOJI_REPO/deploy/prometheus/alerts.yml"
}
# Every *_test.yml beside alerts.yml: alerts_test.yml, alerts_courses_test.yml (date courses).
prom_rules_test() {
    (
        cd "$MOJI_REPO/deploy/prometheus" || exit 1
        shopt -s nullglob
        local tests=(*_test.yml)
        ((${#tests[@]})) || {
            echo "no *_test.yml in deploy/prometheus"
            exit 1
        }
        promtool test rules "${tests[@]}"
    )
}
grafana() {
    "$py" "$checks" dashboards "$MOJI_REPO" "$work/prom/dashboard-queries.yml" &&
        promtool check rules "$work/prom/dashboard-queries.yml"
}

# ---- date courses through the running edge --------------------------------------------------
# scripts/lib/courses_live.py against the stack on this machine: 401 without a token, the
# quota with RateLimit-* for a new account, a request queued and followed over SSE; with the
# worker in recommend (it links moji-llm) and recommend running, until the course is written.
courses_live() {
    local edge="http://127.0.0.1:${MOJI_HTTP__EDGE_PORT:-8080}"
    local api="http://127.0.0.1:${MOJI_HTTP__API_PORT:-8081}"
    local recommend="http://127.0.0.1:${MOJI_HTTP__RECOMMEND_PORT:-8083}"
    if ! http_ok "$edge/healthz" || ! http_ok "$api/readyz"; then
        echo "no edge on $edge or no api on $api running (scripts/run.sh starts them)"
        return 77
    fi
    local args=("$edge")
    if grep -q '^moji-llm' "$MOJI_REPO/services/recommend/Cargo.toml" 2>/dev/null && http_ok "$recommend/readyz"; then
        args+=(--worker)
    fi
    python3 "$MOJI_REPO/scripts/lib/courses_live.py" "${args[@]}"
}

# ---- metric names: used vs. exported --------------------------------------------------------
scrape() { # scrape NAME URL...: concatenated bodies into metrics/NAME.prom
    local name="$1" url
    shift
    for url in "$@"; do
        curl -fsS --max-time 5 "$url" >>"$work/metrics/$name.prom" 2>/dev/null || {
            rm -f "$work/metrics/$name.prom"
            return 1
        }
    done
}
rabbitmq_scrape() {
    local base="${MOJI_RABBITMQ_METRICS_URL:-http://127.0.0.1:15692}"
    # Aggregated metrics, plus the per-queue families the alerts and dashboards use.
    local urls=("$base/metrics" "$base/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count")
    scrape rabbitmq "${urls[@]}" && return 0
    # A local broker without its Prometheus plugin: turn it on (idempotent, a few seconds).
    if [[ "$base" == http://127.0.0.1:* ]] && command -v rabbitmq-plugins >/dev/null && [[ "$(id -u)" == 0 ]]; then
        echo "  enabling rabbitmq_prometheus on the local broker"
        rabbitmq-plugins enable rabbitmq_prometheus >/dev/null 2>&1 || return 1
        for _ in $(seq 1 30); do
            http_ok "$base/metrics" && break
            sleep 0.5
        done
        scrape rabbitmq "${urls[@]}"
    else
        return 1
    fi
}
metrics() {
    if [[ -n "$metrics_from" ]]; then
        [[ -d "$metrics_from" ]] || {
            echo "no directory $metrics_from"
            return 1
        }
        cp "$metrics_from"/*.prom "$work/metrics/" 2>/dev/null || true
    else
        scrape api "http://127.0.0.1:${MOJI_HTTP__API_PORT:-8081}/metrics" || echo "  api: nothing answers on :${MOJI_HTTP__API_PORT:-8081}"
        scrape chat "http://127.0.0.1:${MOJI_HTTP__CHAT_PORT:-8082}/metrics" || echo "  chat: nothing answers on :${MOJI_HTTP__CHAT_PORT:-8082}"
        scrape recommend "http://127.0.0.1:${MOJI_HTTP__RECOMMEND_PORT:-8083}/metrics" || echo "  recommend: nothing answers on :${MOJI_HTTP__RECOMMEND_PORT:-8083}"
        scrape inference "http://127.0.0.1:${MOJI_HTTP__INFERENCE_PORT:-8084}/metrics" || echo "  inference: nothing answers on :${MOJI_HTTP__INFERENCE_PORT:-8084}"
    fi
    [[ -s "$work/metrics/rabbitmq.prom" ]] || rabbitmq_scrape || echo "  rabbitmq: no scrape"
    local args=()
    for s in "${allow_missing[@]}"; do args+=(--allow-missing "$s"); done
    "$py" "$checks" metrics "$MOJI_REPO" "$work/metrics" "${args[@]}"
}

# ---- run ------------------------------------------------------------------------------------
check tools "nginx, promtool, kubectl, pinned Python tools" tools
if ((failed)); then
    echo "check-deploy: tools are missing; nothing else can run"
    echo "check-deploy: $passed passed, $failed failed"
    exit 1
fi
check edge-config "nginx -t on the rendered edge config" edge_config
check edge "edge routing (api, chat REST + WebSocket, recommend's paths), SSE, body limits (test_edge.py)" \
    python3 "$MOJI_REPO/deploy/nginx/test_edge.py"
check edge-private "edge from a 0700 checkout as root: web client, assets, big bodies (test_edge_private.py)" \
    python3 "$MOJI_REPO/deploy/nginx/test_edge_private.py"
check proto-fixtures "proto/fixtures validate against proto/schemas" proto_fixtures
check dockerfile "hadolint deploy/Dockerfile" dockerfile
check compose "compose-spec schema + mounted files exist" compose
render base k8s/base >"$work/logs/k8s-base-render.log" 2>&1
for overlay in dev prod prod-optional; do
    dir="k8s/overlays/$overlay" what="kubectl kustomize k8s/overlays/$overlay"
    if [[ "$overlay" == prod-optional ]]; then
        dir="$(prod_optional_overlay)" what="kubectl kustomize prod + components/courses-openai"
    fi
    check "k8s-$overlay-render" "$what" render "$overlay" "$dir"
    check "k8s-$overlay-schema" "Kubernetes schemas ($k8s_versions), strict" k8s_schema "$overlay"
    check "k8s-$overlay-refs" "references, security baseline, PDBs, NetworkPolicies" k8s_refs "$overlay"
done
check services "every service in image, compose, k8s, scrape config, alerts; Ingress routing" \
    "$py" "$checks" services "$MOJI_REPO" "$work/k8s/base.yaml"
check prom-config "promtool check config (compose and k8s)" prom_config
check prom-rules "promtool check rules + severity/summary on every alert" prom_rules
check prom-rules-test "promtool test rules deploy/prometheus/*_test.yml" prom_rules_test
check grafana "provisioning + dashboards parse, every query is valid PromQL" grafana
check docs "deploy/README.md describes every dashboard panel and alert" "$py" "$checks" docs "$MOJI_REPO"
check metric-docs "service metric names in alerts and dashboards are in docs/<service>.md" \
    "$py" "$checks" metric-docs "$MOJI_REPO"
check courses-live "date courses through the running edge (courses_live.py)" courses_live
check metrics "metric names in alerts and dashboards are really exported" metrics

echo "check-deploy: $((SECONDS - started_all)) s; logs in ${work#"$MOJI_REPO"/}/logs"
if ((failed)); then
    echo "check-deploy: failed: ${failed_names[*]}"
fi
echo "check-deploy: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
