# nginx answering from memory on the proxy CPU, the like-for-like peer of
# apigw-respond: one worker, `return 200` for /small, the harness's files
# (sendfile) for /4k and /64k. Same settings as the harness's origin.
TARGET_DESC="nginx, worker_processes 1, return 200 for /small (answers from memory)"
TARGET_TEMPLATE=nginx-return.conf.tmpl
target_version() { echo "$(nginx -v 2>&1 | sed 's/^nginx version: //')"; }
target_exec() {
    mkdir -p "$T_DIR/tmp"
    exec nginx -p "$T_DIR/" -e "$T_DIR/error.log" -c "$T_CONF"
}
