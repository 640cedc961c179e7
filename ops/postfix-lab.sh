#!/usr/bin/env bash
# A private Postfix instance on loopback for the email integration tests. It never touches
# /etc/postfix: its configuration, queue, TLS material and Maildirs live under DIR, and
# `stop` removes them. The one system file it changes, Cyrus SASL's /etc/sasldb2, is copied
# first and restored by `stop`.
#
#   ops/postfix-lab.sh start DIR PLAIN_PORT SUBMISSION_PORT POLICY_PORT
#   ops/postfix-lab.sh stop DIR
#
# start: a CA and a server certificate (CN localhost, SAN 127.0.0.1) under DIR/tls; the SASL
# user lab@cs-lab.test with password "lab-password"; Postfix listening
# on 127.0.0.1:PLAIN_PORT (no AUTH) and :SUBMISSION_PORT (STARTTLS required, then AUTH);
# local delivery only: csm@lab.test and retry@lab.test into DIR/mail/<user>/new, everything
# else refused (default_transport = error, no relayhost); an end-of-data policy service on
# POLICY_PORT answers 451 to the first message for retry@lab.test and accepts the rest.
# Prints "READY" when both ports accept connections. Needs root, postfix and sasl2-bin.
set -euo pipefail
export PATH="/usr/sbin:/sbin:$PATH"
cmd="${1:-}"; DIR="${2:-}"
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: $0 start|stop DIR [PLAIN SUBMISSION POLICY]" >&2; exit 2; }

if [ "$cmd" = stop ]; then
    if [ -f "$DIR/etc/main.cf" ]; then postfix -c "$DIR/etc" stop >/dev/null 2>&1 || true; fi
    if [ -f "$DIR/policy.pid" ]; then kill "$(cat "$DIR/policy.pid")" 2>/dev/null || true; fi
    # Postfix's master may take a moment to let its children go.
    for _ in $(seq 1 50); do pgrep -f "master -c $DIR/etc" >/dev/null 2>&1 || break; sleep 0.1; done
    pkill -f "master -c $DIR/etc" 2>/dev/null || true
    if [ -f "$DIR/sasldb2.orig" ]; then cp -p "$DIR/sasldb2.orig" /etc/sasldb2
    elif [ -f "$DIR/sasldb2.absent" ]; then rm -f /etc/sasldb2; fi
    rm -rf "$DIR"
    exit 0
fi

[ "$cmd" = start ] || { echo "unknown command $cmd" >&2; exit 2; }
PLAIN="$3"; SUBMISSION="$4"; POLICY="$5"
command -v postfix >/dev/null || { echo "postfix is not installed (ops/install-deps.sh installs it)" >&2; exit 1; }
command -v saslpasswd2 >/dev/null || { echo "sasl2-bin is not installed (ops/install-deps.sh installs it)" >&2; exit 1; }

mkdir -p "$DIR"/{etc,queue,data,tls,mail}
chmod 755 "$DIR"
chown postfix:postfix "$DIR/data"

# TLS: a CA made here and now, and a server certificate it signs.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cs-worker test CA" \
    -keyout "$DIR/tls/ca.key" -out "$DIR/tls/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$DIR/tls/server.key" -out "$DIR/tls/server.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$DIR/tls/san.ext"
openssl x509 -req -in "$DIR/tls/server.csr" -CA "$DIR/tls/ca.pem" -CAkey "$DIR/tls/ca.key" -CAcreateserial \
    -days 2 -extfile "$DIR/tls/san.ext" -out "$DIR/tls/server.pem" >/dev/null 2>&1
chmod 644 "$DIR/tls/ca.pem" "$DIR/tls/server.pem"; chmod 600 "$DIR/tls/server.key"

# SASL: Debian's Postfix reads Cyrus SASL's default database, /etc/sasldb2 (its
# cyrus_sasl_config_path is not honoured here), so the lab adds its one user there for the
# duration and `stop` puts the file back exactly as it was (content, owner, mode).
if [ -e /etc/sasldb2 ]; then cp -p /etc/sasldb2 "$DIR/sasldb2.orig"; else : > "$DIR/sasldb2.absent"; fi
echo "lab-password" | saslpasswd2 -p -c -u cs-lab.test lab
chown root:postfix /etc/sasldb2; chmod 640 /etc/sasldb2

# Maildirs for two local users.
printf 'csm@lab.test csm/\nretry@lab.test retry/\n' > "$DIR/etc/vmailbox"
chown -R postfix:postfix "$DIR/mail"
PF_UID="$(id -u postfix)"; PF_GID="$(id -g postfix)"

cat > "$DIR/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $DIR/queue
data_directory = $DIR/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $DIR
maillog_file = $DIR/maillog
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mail.cs-lab.test
mydomain = cs-lab.test
myorigin = cs-lab.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
default_transport = error:outbound mail is disabled in the test lab
local_transport = error:no local delivery in the test lab
virtual_mailbox_domains = lab.test
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = texthash:$DIR/etc/vmailbox
virtual_uid_maps = static:$PF_UID
virtual_gid_maps = static:$PF_GID
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_end_of_data_restrictions = check_policy_service inet:127.0.0.1:$POLICY
smtpd_tls_cert_file = $DIR/tls/server.pem
smtpd_tls_key_file = $DIR/tls/server.key
smtpd_tls_security_level = may
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = cs-lab.test
smtpd_sasl_auth_enable = no
biff = no
EOF

cat > "$DIR/etc/master.cf" <<EOF
127.0.0.1:$PLAIN inet n - n - - smtpd
  -o smtpd_tls_security_level=none
127.0.0.1:$SUBMISSION inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

# The end-of-data policy service: 451 once for retry@lab.test, then DUNNO.
cat > "$DIR/policy.py" <<'EOF'
import socket, sys, threading
port = int(sys.argv[1]); refused = set()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(16)
def serve(conn):
    buf = b""
    with conn:
        while True:
            data = conn.recv(4096)
            if not data: return
            buf += data
            while b"\n\n" in buf:
                req, buf = buf.split(b"\n\n", 1)
                attrs = dict(l.split("=", 1) for l in req.decode().splitlines() if "=" in l)
                rcpt = attrs.get("recipient", "")
                action = "DUNNO"
                if attrs.get("protocol_state") == "END-OF-MESSAGE" and rcpt == "retry@lab.test" and rcpt not in refused:
                    refused.add(rcpt); action = "451 4.7.1 Try again later (test lab policy)"
                conn.sendall(("action=%s\n\n" % action).encode())
while True:
    c, _ = srv.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
python3 "$DIR/policy.py" "$POLICY" >/dev/null 2>&1 &
echo $! > "$DIR/policy.pid"

postfix -c "$DIR/etc" check >/dev/null 2>&1 || true
postfix -c "$DIR/etc" start >/dev/null 2>&1 || { echo "postfix did not start:" >&2; cat "$DIR/maillog" >&2 2>/dev/null || true; exit 1; }
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PLAIN") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$SUBMISSION") 2>/dev/null; then
        echo READY; exit 0
    fi
    sleep 0.1
done
echo "postfix did not listen on $PLAIN/$SUBMISSION:" >&2; cat "$DIR/maillog" >&2 2>/dev/null || true
exit 1
