# apigw answering /small from memory with a `respond` route (no upstream):
# compare with the harness's `direct` target (nginx `return 200` on the origin).
#   APIGW_BIN=build/release/apigw ../shared/bench/run.sh --target-file bench/targets/apigw-respond.sh
TARGET_DESC="apigw run, 1 worker, respond route for /small (answer from memory)"
TARGET_TEMPLATE=apigw-respond.conf.tmpl
TARGET_READY_TIMEOUT=20
APIGW_BIN=${APIGW_BIN:-apigw}
target_version() { "$APIGW_BIN" version 2>&1 | head -1; }
target_exec() { exec "$APIGW_BIN" run --config "$T_CONF" --workers 1; }
