# apigw answering from memory with `respond` routes (no upstream): compare
# with the harness's `direct` target (the origin nginx answering /small with
# `return 200`). /4k and /64k carry the harness's bodies, read from $WWW_DIR
# when the target starts, so that its body checks pass.
#   APIGW_BIN=build/release/apigw ../shared/bench/run.sh --target-file bench/targets/apigw-respond.sh
TARGET_DESC="apigw run, 1 worker, respond routes (answers from memory)"
TARGET_TEMPLATE=apigw-respond.conf.tmpl
TARGET_READY_TIMEOUT=20
APIGW_BIN=${APIGW_BIN:-apigw}
target_version() { "$APIGW_BIN" version 2>&1 | head -1; }
target_exec() {
    python3 - "$T_CONF" "$WWW_DIR" > "$T_DIR/apigw.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
for name in ("4k", "64k"):
    body = open(f"{sys.argv[2]}/{name}", "rb").read().decode("ascii")
    config["routes"].append({"name": name, "match": {"path": "/" + name},
                             "respond": {"headers": {"content-type": "application/octet-stream"}, "body": body}})
json.dump(config, sys.stdout)
PY
    exec "$APIGW_BIN" run --config "$T_DIR/apigw.json" --workers 1
}
